export type Release = () => void;

/** At most `permits` holders at a time; the others wait, in the order they asked, for free. */
export class Semaphore {
  private readonly waiting: ((release: Release) => void)[] = [];
  private free: number;

  constructor(permits: number) {
    if (!Number.isInteger(permits) || permits < 1) throw new RangeError('permits must be >= 1');
    this.free = permits;
  }

  /**
   * A permit, now or when one is released. With `signal`, a waiter whose signal aborts leaves the
   * line, and the promise rejects with the signal's reason: work nobody waits for any more is not
   * done (a hash queued for a client that has hung up).
   */
  acquire(signal?: AbortSignal): Promise<Release> {
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    if (this.free > 0) {
      this.free -= 1;
      return Promise.resolve(this.releaser());
    }
    if (!signal) return new Promise((resolve) => this.waiting.push(resolve));
    return new Promise((resolve, reject) => {
      const granted = (release: Release) => {
        signal.removeEventListener('abort', gaveUp);
        resolve(release);
      };
      const gaveUp = () => {
        const at = this.waiting.indexOf(granted);
        if (at >= 0) this.waiting.splice(at, 1);
        reject(signal.reason as Error);
      };
      signal.addEventListener('abort', gaveUp, { once: true });
      this.waiting.push(granted);
    });
  }

  async run<T>(work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const release = await this.acquire(signal);
    try {
      return await work();
    } finally {
      release();
    }
  }

  private releaser(): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next(this.releaser());
      else this.free += 1;
    };
  }
}
