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
    },
    destination,
  );
}

const DRIVER_ERROR = /Exception$/;
const SQLSTATE = /^[0-9A-Z]{5}$/;

/**
 * What of an error may be logged. Database driver errors carry the SQL with its bound values
 * (password hashes among them), so only their name, code and stack frames are kept.
 */
export function safeError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { type: typeof error };
  const frames = (error.stack ?? '')
    .split('\n')
    .filter((line) => line.trimStart().startsWith('at '));
  const details = error as Error & {
    code?: unknown;
    sqlState?: unknown;
    errno?: unknown;
    severity?: unknown;
    routine?: unknown;
  };
  const fromDriver =
    DRIVER_ERROR.test(error.name) ||
    details.sqlState !== undefined ||
    details.severity !== undefined || // node-postgres
    details.routine !== undefined ||
    (typeof details.code === 'string' &&
      (details.code.startsWith('SQLITE') || SQLSTATE.test(details.code)));
  return {
    type: error.name,
    ...(fromDriver ? {} : { message: error.message }),
    ...(details.code !== undefined ? { code: details.code } : {}),
    ...(details.sqlState !== undefined ? { sqlState: details.sqlState } : {}),
    stack: frames.join('\n'),
  };
}
