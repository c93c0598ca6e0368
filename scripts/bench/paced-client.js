// The load generator of the bench's "p99 / p50 at 70% of peak load" figures, run by paced.ts in a
// process of its own: it reads a job (JSON) on stdin and writes its figure (JSON) on stdout.
//
// It is kept out of the way of what it measures. Its own pauses count against the server, since
// every latency runs from when its request was due: one 12-16 ms scavenge of this process, in the
// bench process, put a hundred or more answers over 12 ms and alone held bare node:http (H) at
// 7,000 a second to p99 / p50 of 4-6. So its requests are built before the clock starts, the heap
// is collected then, and the young generation (see paced.ts) holds the whole run's garbage: no
// collection happens while requests are timed. The first second runs at the same rate on the same
// connections and is not counted, so that neither side is measured cold.
const { connect } = require('node:net');
const { performance } = require('node:perf_hooks');
const { setTimeout } = require('node:timers');

const HEAD_END = Buffer.from('\r\n\r\n');

/**
 * One keep-alive connection carrying one request at a time. A client as lean as autocannon's (the
 * request written as prepared bytes, the answer read by its content-length), since node:http's
 * client costs more per request than the server does at these rates, on the same two cores.
 */
class Connection {
  constructor(port, host, answered, broken) {
    this.answered = answered;
    this.broken = broken;
    this.received = Buffer.alloc(0);
    this.current = null;
    this.socket = connect(port, host);
    this.socket.setNoDelay(true);
    this.ready = new Promise((open) => this.socket.once('connect', () => open()));
    this.socket.on('data', (chunk) => this.read(chunk));
  }

  get idle() {
    return this.current === null;
  }

  send(due) {
    this.current = due;
    this.socket.write(due.bytes);
  }

  close() {
    this.socket.destroy();
  }

  read(chunk) {
    this.received = this.received.length ? Buffer.concat([this.received, chunk]) : chunk;
    const headEnd = this.received.indexOf(HEAD_END);
    if (headEnd < 0) return;
    const head = this.received.subarray(0, headEnd).toString('latin1');
    const statusLine = head.split('\r\n', 1)[0];
    const declared = /\r\ncontent-length: *(\d+)/i.exec(head)?.[1];
    // Anything else would be read as the next answer's head, and answered for no request.
    if (declared === undefined)
      return this.broken(`an answer without content-length: ${statusLine}`);
    if (this.current === null) return this.broken(`an answer to no request: ${statusLine}`);
    const end = headEnd + HEAD_END.length + Number(declared);
    if (this.received.length < end) return;
    const body = this.received.subarray(headEnd + HEAD_END.length, end).toString('utf8');
    this.received = this.received.subarray(end);
    const due = this.current;
    this.current = null;
    this.answered(due, Number(statusLine.slice(9, 12)), body);
  }
}

/**
 * @param {{ host: string, port: number, rate: number, warmup: number, seconds: number,
 *   connections: number, requests: string[], ok: string }} job
 *   `requests` are whole HTTP/1.1 requests, sent in turn and over again; an answer succeeds when its status is
 *   200 and its body ends with `ok`.
 */
async function run({ host, port, rate, warmup, seconds, connections, requests, ok }) {
  const uncounted = Math.floor(rate * warmup);
  const total = uncounted + Math.floor(rate * seconds);
  const latencies = [];
  const waiting = [];
  let failed = 0;
  let answers = 0;
  /** Counted requests that came due while every connection was busy: they waited for one. */
  let waited = 0;
  let answeredAll = () => undefined;
  /** Set when an answer cannot be read: the run stops and fails with it. */
  let brokenBy = null;
  let fail = () => undefined;
  const allAnswered = new Promise((done, failed) => {
    answeredAll = done;
    fail = failed;
  });
  // Awaited once every request is sent; a failure before then waits for that await.
  allAnswered.catch(() => undefined);
  const broken = (what) => {
    brokenBy ??= new Error(`the paced client cannot read the server's answers: ${what}`);
    fail(brokenBy);
  };

  const pool = [];
  const dispatch = () => {
    for (const connection of pool) {
      if (waiting.length === 0) return;
      if (connection.idle) connection.send(waiting.shift());
    }
  };
  const answered = (due, status, body) => {
    if (due.counted) {
      latencies.push(performance.now() - due.at);
      if (due.waited) waited += 1;
      if (status !== 200 || !body.trimEnd().endsWith(ok)) failed += 1;
    }
    answers += 1;
    if (answers === total) answeredAll();
    dispatch();
  };
  for (let i = 0; i < connections; i++) pool.push(new Connection(port, host, answered, broken));
  await Promise.all(pool.map((connection) => connection.ready));

  const bytes = requests.map((request) => Buffer.from(request));
  globalThis.gc();
  globalThis.gc();

  // Each tick queues every request that has come due, stamped with the time it was due.
  const started = performance.now();
  let queued = 0;
  while (queued < total && !brokenBy) {
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate) + 1);
    for (; queued < due; queued++) {
      waiting.push({
        at: started + (queued / rate) * 1000,
        counted: queued >= uncounted,
        bytes: bytes[queued % bytes.length],
        waited: false,
      });
    }
    dispatch();
    // Those still waiting found every connection busy. The newest are at the end, and those
    // before them were marked on an earlier tick.
    for (let at = waiting.length - 1; at >= 0 && !waiting[at].waited; at--) {
      waiting[at].waited = true;
    }
    await new Promise((tick) => setTimeout(tick, 1));
  }
  try {
    await allAnswered;
  } finally {
    for (const connection of pool) connection.close();
  }
  const elapsed = (performance.now() - started) / 1000 - uncounted / rate;

  latencies.sort((a, b) => a - b);
  const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
  return {
    rps: latencies.length / elapsed,
    p50: Math.round(at(0.5) * 10) / 10,
    p99: Math.round(at(0.99) * 10) / 10,
    failed,
    queued: waited / latencies.length,
  };
}

const input = [];
process.stdin.on('data', (chunk) => input.push(chunk));
process.stdin.on('end', () => {
  run(JSON.parse(Buffer.concat(input).toString('utf8'))).then(
    (figure) => process.stdout.write(`${JSON.stringify(figure)}\n`),
    (error) => {
      process.stderr.write(`${error.stack}\n`);
      process.exit(1);
    },
  );
});
