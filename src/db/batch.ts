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
