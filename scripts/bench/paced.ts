// An open-loop load at a steady rate, for the "p99 / p50 at 70% of peak load" figures.
//
// autocannon's rate option is a quota per connection per second: every connection sends its
// quota back to back when the second starts, then waits, so "70% load" is full load for most of
// each second and idle for the rest. It also corrects for coordinated omission with a 1 ms
// expected interval, adding a made-up sample for every millisecond a response took beyond the
// first. Both inflate p99 against p50 by themselves. Here requests are sent evenly spaced in time,
// and each latency is counted from when its request was due, so a request kept waiting by a slow
// one before it (on the client or the server) counts its wait, and nothing is made up.
import { connect, type Socket } from 'node:net';

export interface PacedFigure {
  rps: number;
  p50: number;
  p99: number;
  failed: number;
}

export interface Paced {
  url: string;
  /** Requests per second, spaced evenly. */
  rate: number;
  seconds: number;
  /** Keep-alive connections: more requests than this at once wait for a free one. */
  connections: number;
  next: () => { body: string; headers?: Record<string, string> };
  /** Whether an answer is a full success. */
  succeeded: (status: number, body: string) => boolean;
}

interface Due {
  at: number;
  bytes: Buffer;
}

const HEAD_END = Buffer.from('\r\n\r\n');

/**
 * One keep-alive connection carrying one request at a time. A client as lean as autocannon's (the
 * request written as prepared bytes, the answer read by its content-length), since node:http's
 * client costs more per request than the server does at these rates, on the same two cores.
 */
class Connection {
  private readonly socket: Socket;
  private received: Buffer = Buffer.alloc(0);
  private current: Due | null = null;
  readonly ready: Promise<void>;

  constructor(
    port: number,
    host: string,
    private readonly answered: (due: Due, status: number, body: string) => void,
  ) {
    this.socket = connect(port, host);
    this.socket.setNoDelay(true);
    this.ready = new Promise((open) => this.socket.once('connect', () => open()));
    this.socket.on('data', (chunk: Buffer) => this.read(chunk));
  }

  get idle(): boolean {
    return this.current === null;
  }

  send(due: Due): void {
    this.current = due;
    this.socket.write(due.bytes);
  }

  close(): void {
    this.socket.destroy();
  }

  private read(chunk: Buffer): void {
    this.received = this.received.length ? Buffer.concat([this.received, chunk]) : chunk;
    const headEnd = this.received.indexOf(HEAD_END);
    if (headEnd < 0) return;
    const head = this.received.subarray(0, headEnd).toString('latin1');
    const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
    const end = headEnd + HEAD_END.length + length;
    if (this.received.length < end) return;
    const status = Number(head.slice(9, 12));
    const body = this.received.subarray(headEnd + HEAD_END.length, end).toString('utf8');
    this.received = this.received.subarray(end);
    const due = this.current!;
    this.current = null;
    this.answered(due, status, body);
  }
}

export async function paced({
  url,
  rate,
  seconds,
  connections,
  next,
  succeeded,
}: Paced): Promise<PacedFigure> {
  const target = new URL(url);
  const total = Math.floor(rate * seconds);
  const latencies: number[] = [];
  const waiting: Due[] = [];
  let failed = 0;
  let answeredAll: () => void = () => undefined;
  const allAnswered = new Promise<void>((done) => (answeredAll = done));

  const pool: Connection[] = [];
  const dispatch = () => {
    for (const connection of pool) {
      if (waiting.length === 0) return;
      if (connection.idle) connection.send(waiting.shift()!);
    }
  };
  const answered = (due: Due, status: number, body: string) => {
    latencies.push(performance.now() - due.at);
    if (!succeeded(status, body)) failed += 1;
    if (latencies.length === total) answeredAll();
    dispatch();
  };
  for (let i = 0; i < connections; i++) {
    pool.push(new Connection(Number(target.port), target.hostname, answered));
  }
  await Promise.all(pool.map((connection) => connection.ready));

  const request = (): Buffer => {
    const { body, headers = {} } = next();
    const lines = [
      `POST ${target.pathname} HTTP/1.1`,
      `host: ${target.host}`,
      'content-type: application/json',
      `content-length: ${Buffer.byteLength(body)}`,
      ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
    ];
    return Buffer.from(`${lines.join('\r\n')}\r\n\r\n${body}`);
  };

  // Each tick queues every request that has come due, stamped with the time it was due.
  const started = performance.now();
  let queued = 0;
  while (queued < total) {
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate) + 1);
    for (; queued < due; queued++) {
      waiting.push({ at: started + (queued / rate) * 1000, bytes: request() });
    }
    dispatch();
    await new Promise((tick) => setTimeout(tick, 1));
  }
  await allAnswered;
  const elapsed = (performance.now() - started) / 1000;
  for (const connection of pool) connection.close();

  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
  return {
    rps: latencies.length / elapsed,
    p50: Math.round(at(0.5) * 10) / 10,
    p99: Math.round(at(0.99) * 10) / 10,
    failed,
  };
}
