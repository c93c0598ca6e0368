interface Waiter<V> {
  resolve(value: V | undefined): void;
  reject(error: unknown): void;
}

/** The most keys one query asks for; more wait for the next. */
const MOST_KEYS = 100;

/**
 * Loads by key in batches: the keys asked for while the event loop serves one round of I/O are
 * loaded together, with one query, once that round is done (setImmediate). Under load, dozens of
 * requests that each need one row share one statement and one trip through the threadpool; a
 * lone request waits only for the end of its own round.
 */
export class Batch<V> {
  private pending: Map<string, Waiter<V>[]> | null = null;

  constructor(private readonly load: (keys: string[]) => Promise<Map<string, V>>) {}

  get(key: string): Promise<V | undefined> {
    if (this.pending === null) {
      this.pending = new Map();
      setImmediate(() => this.flush());
    }
    const pending = this.pending;
    return new Promise((resolve, reject) => {
      const waiters = pending.get(key);
      if (waiters) waiters.push({ resolve, reject });
      else pending.set(key, [{ resolve, reject }]);
    });
  }

  private flush(): void {
    const pending = this.pending!;
    this.pending = null;
    const keys = [...pending.keys()];
    for (let at = 0; at < keys.length; at += MOST_KEYS) {
      const chunk = keys.slice(at, at + MOST_KEYS);
      this.load(chunk).then(
        (found) => {
          for (const key of chunk)
            for (const waiter of pending.get(key)!) waiter.resolve(found.get(key));
        },
        (error: unknown) => {
          for (const key of chunk) for (const waiter of pending.get(key)!) waiter.reject(error);
        },
      );
    }
  }
}

interface Queued<I, R> {
  key: string;
  item: I;
  resolve(result: R): void;
  reject(error: unknown): void;
}

/**
 * Writes in batches, one batch at a time: the writes asked for while a batch is being written go
 * together in the next, with one statement (group commit). A lone write waits only for the end of
 * its own round of I/O; under load, the writer never idles and each statement carries dozens of
 * rows. Two writes with one key never share a batch (one statement would apply only one of them):
 * the later waits for the next, so writes to one row land in the order they were asked for.
 *
 * `write` answers each item in order. When a batch fails, each of its writes is tried alone, so
 * that one write's failure (a unique value taken) is that write's alone.
 */
export class WriteBatch<I, R> {
  private queue: Queued<I, R>[] = [];
  private busy = false;

  constructor(private readonly write: (items: I[]) => Promise<R[]>) {}

  run(key: string, item: I): Promise<R> {
    return new Promise((resolve, reject) => {
      this.queue.push({ key, item, resolve, reject });
      if (!this.busy) {
        this.busy = true;
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch: Queued<I, R>[] = [];
      const keys = new Set<string>();
      const later: Queued<I, R>[] = [];
      for (const queued of this.queue) {
        if (batch.length < MOST_KEYS && !keys.has(queued.key)) {
          keys.add(queued.key);
          batch.push(queued);
        } else later.push(queued);
      }
      this.queue = later;
      try {
        settle(batch, await this.write(batch.map((queued) => queued.item)));
      } catch (error) {
        if (batch.length === 1) batch[0]!.reject(error);
        else for (const queued of batch) await this.alone(queued);
      }
    }
    this.busy = false;
  }

  private async alone(queued: Queued<I, R>): Promise<void> {
    try {
      settle([queued], await this.write([queued.item]));
    } catch (error) {
      queued.reject(error);
    }
  }
}

function settle<I, R>(batch: Queued<I, R>[], results: R[]): void {
  batch.forEach((queued, at) => queued.resolve(results[at]!));
}
