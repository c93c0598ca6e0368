import { randomUUID } from 'node:crypto';
import { maxHeaderSize, type ServerResponse } from 'node:http';
import { type Duplex } from 'node:stream';
import { translate, type MessageKey, type MessageParams } from '../info/i18n';
import { infocodeOf, type InfoName } from '../info/status';
import { type Logger } from '../logger';

interface Refusal {
  status: number;
  reason: string;
  info: InfoName;
  key: MessageKey;
  params?: MessageParams;
}

/** Node's own answers to a request its parser refused (_http_server.js), by error code. */
const REFUSALS: Readonly<Record<string, Refusal>> = {
  // A GET whose query string takes the request line past maxHeaderSize, say.
  HPE_HEADER_OVERFLOW: {
    status: 431,
    reason: 'Request Header Fields Too Large',
    info: 'QUERY_TOO_COMPLEX',
    key: 'request.headersTooLarge',
    params: { max: maxHeaderSize },
  },
  HPE_CHUNK_EXTENSIONS_OVERFLOW: {
    status: 413,
    reason: 'Payload Too Large',
    info: 'QUERY_TOO_COMPLEX',
    key: 'request.chunkExtensionsTooLarge',
  },
  // headersTimeout or requestTimeout ran out before the request had arrived.
  ERR_HTTP_REQUEST_TIMEOUT: {
    status: 408,
    reason: 'Request Timeout',
    info: 'INVALID_REQUEST',
    key: 'request.timeout',
  },
};

const MALFORMED: Refusal = {
  status: 400,
  reason: 'Bad Request',
  info: 'INVALID_REQUEST',
  key: 'request.malformedHttp',
};

/**
 * The server's 'clientError': a request Node's HTTP parser refused, so no request object and no
 * Accept-Language (the message is English). Node's own answer is a status line with an empty
 * body; this one is a whole HTTP/1.1 response with the envelope every other answer carries.
 * The connection is closed after it: the parser cannot go on with what the client sends next.
 */
export function answerClientError(error: Error, socket: Duplex, logger: Logger): void {
  const code = (error as NodeJS.ErrnoException).code;
  // As Node does: nothing is written over an answer already on its way on this connection.
  const inFlight = (socket as { _httpMessage?: ServerResponse | null })._httpMessage;
  if (code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  const refusal = (code !== undefined && REFUSALS[code]) || MALFORMED;
  const requestId = randomUUID();
  const envelope = { infocode: infocodeOf(refusal.info), info: refusal.info };
  const body = JSON.stringify({
    errors: [
      {
        message: translate('en', refusal.key, refusal.params),
        extensions: { code: 'BAD_REQUEST', ...envelope },
      },
    ],
    extensions: envelope,
  });
  logger.debug({ requestId, status: refusal.status, code }, 'request refused by the HTTP parser');
  socket.end(
    [
      `HTTP/1.1 ${refusal.status} ${refusal.reason}`,
      'Content-Type: application/json; charset=utf-8',
      `Content-Length: ${Buffer.byteLength(body)}`,
      `X-Request-Id: ${requestId}`,
      'Connection: close',
      '',
      body,
    ].join('\r\n'),
    () => socket.destroy(),
  );
}
