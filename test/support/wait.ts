/**
 * Asks `done` every `everyMs` until it says yes or `withinMs` has passed, for what happens after
 * an answer (a log line, a write, a checkpoint). Whether it came true in time: the caller's
 * expectation then says what was missing.
 */
export async function eventually(
  done: () => boolean | Promise<boolean>,
  { withinMs = 5_000, everyMs = 50 }: { withinMs?: number; everyMs?: number } = {},
): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    if (await done()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((wait) => setTimeout(wait, everyMs));
  }
}
