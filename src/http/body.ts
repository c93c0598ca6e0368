import { type IncomingMessage } from 'node:http';

export class BodyTooLarge extends Error {}

/** The client hung up before its body was all sent: nobody is left to answer. */
export class BodyAborted extends Error {}

/** Reads a request body, refusing (before reading it all) one larger than `limit` bytes. */
export function readBody(request: IncomingMessage, limit: number): Promise<string> {
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
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
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
