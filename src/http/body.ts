import { type IncomingMessage } from 'node:http';

export class BodyTooLarge extends Error {}

/** The client hung up before its body was all sent: nobody is left to answer. */
export class BodyAborted extends Error {}

/**
 * Reads a request body's bytes, refusing (before reading it all) one larger than `limit` bytes.
 * Decoding is the caller's, once the Content-Type has been checked (utf8Charset, decodeUtf8).
 */
export function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(new BodyTooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        request.removeAllListeners('data');
        request.resume();
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks)));
    // A connection closed mid-body ends the request with 'error' ("aborted", ECONNRESET), then
    // 'close'; a close before 'end' without an error is the same hang-up. Once the body has
    // ended, the promise is settled and these change nothing.
    request.on('error', (error: NodeJS.ErrnoException) =>
      reject(request.readableAborted || error.code === 'ECONNRESET' ? new BodyAborted() : error),
    );
    request.on('close', () => {
      if (!request.complete) reject(new BodyAborted());
    });
  });
}

/** Every `charset` parameter of a Content-Type, token or quoted-string, unquoted. */
const CHARSET = /;\s*charset\s*=\s*("(?:[^"\\]|\\.)*"|[^;\s]*)/gi;

/**
 * Whether a Content-Type leaves the body UTF-8: no charset parameter, or `utf-8` in any case,
 * quoted or not (`utf8` too, the WHATWG label of the same encoding). GraphQL over HTTP lets a
 * server refuse the others, and reading their bytes as UTF-8 would change the text silently.
 */
export function utf8Charset(contentType: string): boolean {
  for (const [, raw] of contentType.matchAll(CHARSET)) {
    const value = raw!.startsWith('"') ? raw!.slice(1, -1).replace(/\\(.)/g, '$1') : raw!;
    if (!['utf-8', 'utf8'].includes(value.trim().toLowerCase())) return false;
  }
  return true;
}

/**
 * Fatal: a byte sequence that is not UTF-8 fails the request instead of becoming U+FFFD, which
 * would, say, change a password typed in Latin-1 without a word. A leading byte order mark is
 * kept in the text (ignoreBOM), where JSON.parse refuses it, as Buffer's decoding always did.
 */
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The body as text, or null when its bytes are not UTF-8. */
export function decodeUtf8(body: Buffer): string | null {
  try {
    return UTF8.decode(body);
  } catch {
    return null;
  }
}
