import * as argon2 from 'argon2';
import { type Argon2Settings } from '../config';

export interface PasswordCheck {
  matches: boolean;
  /** The stored hash was made with other parameters than today's: store a new one. */
  outdated: boolean;
}

/** argon2id hashing at the configured parameters (never below OWASP's minimum, see config). */
export class PasswordHasher {
  private readonly options: argon2.HashOptions;

  constructor(settings: Argon2Settings) {
    this.options = { type: argon2.argon2id, ...settings };
  }

  hash(password: string): Promise<string> {
    return argon2.hash(password, this.options);
  }

  async check(hash: string, password: string): Promise<PasswordCheck> {
    const matches = await argon2.verify(hash, password);
    return { matches, outdated: matches && argon2.needsRehash(hash, this.options) };
  }
}
