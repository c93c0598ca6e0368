import * as argon2 from 'argon2';
import { type Argon2Settings } from '../config';
import { randomBytes } from '../random';
import { Semaphore } from '../semaphore';

export interface PasswordCheck {
  matches: boolean;
  /** The stored hash was made with other parameters than today's: store a new one. */
  outdated: boolean;
}

/** argon2's own default, and RFC 9106's recommendation. */
const SALT_BYTES = 16;

/** argon2id hashing at the configured parameters (never below OWASP's minimum, see config). */
export class PasswordHasher {
  private readonly options: argon2.HashOptions;
  private readonly turns: Semaphore;

  /**
   * `concurrency` hashes run at once and the rest queue here, so hashing never takes every
   * threadpool thread from the database and memory stays at concurrency × ARGON2_MEMORY_KIB.
   */
  constructor(settings: Argon2Settings, concurrency: number) {
    this.options = { type: argon2.argon2id, ...settings };
    this.turns = new Semaphore(concurrency);
  }

  /**
   * With `signal` (a request's Context.clientGone), a hash still waiting for its turn when the
   * signal aborts is never computed, and the promise rejects with ClientGone: under overload the
   * queue would otherwise hash for clients that have given up, while those still waiting wait
   * longer. A hash already running finishes.
   */
  hash(password: string, signal?: AbortSignal): Promise<string> {
    // The salt is drawn here, synchronously (from the pool in ../random): argon2 would draw it
    // with the asynchronous randomBytes, one more trip through the threadpool per hash.
    return this.turns.run(
      () => argon2.hash(password, { ...this.options, salt: randomBytes(SALT_BYTES) }),
      signal,
    );
  }

  /** `signal` as for hash(). */
  async check(hash: string, password: string, signal?: AbortSignal): Promise<PasswordCheck> {
    const matches = await this.turns.run(() => argon2.verify(hash, password), signal);
    return { matches, outdated: matches && argon2.needsRehash(hash, this.options) };
  }
}
