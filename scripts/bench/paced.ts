// An open-loop load at a steady rate, for the "p99 / p50 at 70% of peak load" figures.
//
// autocannon's rate option is a quota per connection per second: every connection sends its
// quota back to back when the second starts, then waits, so "70% load" is full load for most of
// each second and idle for the rest. It also corrects for coordinated omission with a 1 ms
// expected interval, adding a made-up sample for every millisecond a response took beyond the
// first. Both inflate p99 against p50 by themselves. Here requests are sent evenly spaced in time,
// and each latency is counted from when its request was due, so a request kept waiting by a slow
// one before it (on the client or the server) counts its wait, and nothing is made up.
//
// The load comes from paced-client.js, a process of its own, so that the bench's heap (autocannon,
// argon2, the database drivers, every figure so far) is never collected while requests are timed.
import { spawn } from 'node:child_process';
import { join } from 'node:path';

export interface PacedFigure {
  rps: number;
  p50: number;
  p99: number;
  failed: number;
  /**
   * The share of requests that came due while all the connections were busy, so waited for one:
   * at 70% of the peak almost none do; a run where many did was an overload.
   */
  queued: number;
}

export interface Paced {
  url: string;
  /** Requests per second, spaced evenly. */
  rate: number;
  /** How long requests are timed, after one uncounted second at the same rate. */
  seconds: number;
  /** Keep-alive connections: more requests than this at once wait for a free one. */
  connections: number;
  next: () => { body: string; headers?: Record<string, string> };
  /** What a successful answer's body ends with (its status must be 200). */
  ok: string;
  /**
   * How many requests `next` makes, sent in turn (the default: one per request of the run). A
   * few hundred keep this process's own garbage small: each request it builds lives until the
   * client has read them all, and a run's worth (tens of MB) grew this process's old generation
   * enough that it was collected while requests were timed, a 40 ms pause on the shared cores.
   */
  distinct?: number;
}

const WARMUP_SECONDS = 1;
/**
 * The client's semi-spaces, in MiB: enough for the garbage of the fastest run (H at 70% of its
 * peak, about 25,000 a second for 5 s at under 2 KiB each), so that no scavenge falls in it.
 */
const CLIENT_SEMI_SPACE_MB = 256;

export async function paced({
  url,
  rate,
  seconds,
  connections,
  next,
  ok,
  distinct,
}: Paced): Promise<PacedFigure> {
  const target = new URL(url);
  const total = Math.floor(rate * WARMUP_SECONDS) + Math.floor(rate * seconds);
  const requests = Array.from({ length: Math.min(total, distinct ?? total) }, () => {
    const { body, headers = {} } = next();
    const lines = [
      `POST ${target.pathname} HTTP/1.1`,
      `host: ${target.host}`,
      'content-type: application/json',
      `content-length: ${Buffer.byteLength(body)}`,
      ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
    ];
    return `${lines.join('\r\n')}\r\n\r\n${body}`;
  });
  const child = spawn(
    process.execPath,
    [
      '--expose-gc',
      `--max-semi-space-size=${CLIENT_SEMI_SPACE_MB}`,
      `--min-semi-space-size=${CLIENT_SEMI_SPACE_MB}`,
      join(__dirname, 'paced-client.js'),
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const output: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => output.push(chunk));
  // 'close', not 'exit': the figure on stdout may still be unread when the process exits.
  const exited = new Promise<number | null>((done) => child.once('close', done));
  child.stdin.end(
    JSON.stringify({
      host: target.hostname,
      port: Number(target.port),
      rate,
      warmup: WARMUP_SECONDS,
      seconds,
      connections,
      requests,
      ok,
    }),
  );
  const code = await exited;
  if (code !== 0) throw new Error(`paced-client exited with ${code}`);
  return JSON.parse(Buffer.concat(output).toString('utf8')) as PacedFigure;
}
