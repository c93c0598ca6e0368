import { types } from 'node:util';
import pino, { type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'account-api' },
      // Belt and braces: these never belong in a log line, whoever logs them.
      redact: {
        paths: [
          'password',
          '*.password',
          '*.currentPassword',
          '*.newPassword',
          'passwordHash',
          '*.passwordHash',
          'token',
          '*.accessToken',
          '*.refreshToken',
          'authorization',
          '*.authorization',
          'req.headers.authorization',
        ],
        censor: '[redacted]',
      },
      // Errors are logged as safeError() makes them; pino's own serializer would rename their
      // type to "Object". An Error logged as it is goes through safeError all the same.
      serializers: { err: (value: unknown) => (isError(value) ? safeError(value) : value) },
    },
    destination,
  );
}

/** An Error from any realm: Node's own (a socket's) fail `instanceof Error` inside a vm context. */
const isError = (value: unknown): value is Error =>
  value instanceof Error || types.isNativeError(value);

const DRIVER_ERROR = /Exception$/;
// A SQLSTATE has five characters and at least one digit; EAUTH or EPIPE (system and mail codes)
// have none.
const SQLSTATE = /^(?=.*\d)[0-9A-Z]{5}$/;

/**
 * What of an error may be logged. Database driver errors carry the SQL with its bound values
 * (password hashes among them), and a mail server's answer quotes the recipient's address
 * (`550 <someone@example.com>: Recipient address rejected`), so of those only the name, codes
 * and stack frames are kept.
 */
export function safeError(error: unknown): Record<string, unknown> {
  if (!isError(error)) return { type: typeof error };
  const frames = (error.stack ?? '')
    .split('\n')
    .filter((line) => line.trimStart().startsWith('at '));
  const details = error as Error & {
    code?: unknown;
    sqlState?: unknown;
    errno?: unknown;
    severity?: unknown;
    routine?: unknown;
    responseCode?: unknown;
    command?: unknown;
  };
  const fromDriver =
    DRIVER_ERROR.test(error.name) ||
    details.sqlState !== undefined ||
    details.severity !== undefined || // node-postgres
    details.routine !== undefined ||
    (typeof details.code === 'string' &&
      (details.code.startsWith('SQLITE') || SQLSTATE.test(details.code)));
  const fromMailServer = details.responseCode !== undefined; // nodemailer: the server answered
  return {
    type: error.name,
    ...(fromDriver || fromMailServer ? {} : { message: error.message }),
    ...(details.code !== undefined ? { code: details.code } : {}),
    ...(details.sqlState !== undefined ? { sqlState: details.sqlState } : {}),
    ...(fromMailServer ? { responseCode: details.responseCode, command: details.command } : {}),
    stack: frames.join('\n'),
  };
}
