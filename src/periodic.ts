/** A background job that runs every so often; `stop` waits for a run already under way. */
export interface Periodic {
  stop(): Promise<void>;
}

/**
 * Runs `job` every `everyMs` (and once at once with `atStart`), never two runs at a time: a tick
 * that finds the last run still going is skipped. The timer does not keep the process alive. The
 * job reports its own failures; one that throws anyway does not stop the timer.
 */
export function every(
  everyMs: number,
  job: () => Promise<unknown>,
  { atStart = false }: { atStart?: boolean } = {},
): Periodic {
  let running: Promise<unknown> | null = null;
  const tick = () => {
    if (running) return;
    // Started from a promise, so that even a job that throws at once neither escapes the timer
    // (an uncaught exception) nor leaves `running` set.
    running = Promise.resolve()
      .then(job)
      .catch(() => undefined)
      .finally(() => {
        running = null;
      });
  };
  if (atStart) tick();
  const timer = setInterval(tick, everyMs).unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
