import { registerUser } from './accounts';
import { type TestServer } from './server';

/**
 * For a server that hashes one password at a time (PASSWORD_HASH_CONCURRENCY=1): `count`
 * registrations, each a hash, resolved once the first is answered. The rest still wait in line,
 * so that requests sent next hash after them, in the order they reach the line (see inLine).
 * Await the returned promises before the test ends.
 */
export async function fillHashLine(server: TestServer, count = 20): Promise<Promise<unknown>[]> {
  const ahead = Array.from({ length: count }, () => registerUser(server));
  await Promise.race(ahead);
  return ahead;
}

/**
 * Sends a request and gives it time to reach the line of hashes before the caller sends the next:
 * 200 ms, while the line holds hashes for longer than that.
 */
export async function inLine<T>(send: () => Promise<T>): Promise<{ answer: Promise<T> }> {
  const answer = send();
  await new Promise((wait) => setTimeout(wait, 200));
  return { answer };
}
