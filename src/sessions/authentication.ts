import { type EntityManager } from '@mikro-orm/core';
import { User, Role } from '../accounts/user.entity';
import { findUserById } from '../accounts/user.repository';
import { type ErrorResult, InvalidToken, TokenExpired, UserNotExist } from '../info/results';
import { type AccessTokens } from './tokens';

export type AuthFailure = ErrorResult; // TokenExpired | InvalidToken | UserNotExist

const BEARER = /^Bearer +([A-Za-z0-9._~+/-]+=*) *$/i;

/**
 * Who is calling, decided at most once per request and only when a field asks. The user is read
 * fresh from the database each request, so a role change bites on the next request.
 */
export class Authentication {
  private verdict?: Promise<User | AuthFailure>;
  private current: User | null = null;

  constructor(
    private readonly authorization: string | null,
    private readonly tokens: AccessTokens,
    private readonly em: () => EntityManager,
  ) {}

  /** The caller, or the failure that says why there is none (1009, 1010, 1016). */
  require(): Promise<User | AuthFailure> {
    this.verdict ??= this.authenticate();
    return this.verdict;
  }

  /** The caller if the request carries a valid token; anonymous otherwise, never a failure. */
  async optional(): Promise<User | null> {
    if (this.authorization === null) return null;
    const result = await this.require();
    return result instanceof User ? result : null;
  }

  /** After login or registration the response speaks to that user (their email is theirs to see). */
  signedIn(user: User): void {
    this.current = user;
    this.verdict = Promise.resolve(user);
  }

  /** The caller as far as it is known yet: set once require()/optional() resolved to a user. */
  get viewer(): User | null {
    return this.current;
  }

  mayReadPrivateFieldsOf(user: User): boolean {
    const viewer = this.current;
    return viewer !== null && (viewer.id === user.id || viewer.role === Role.ADMIN);
  }

  private async authenticate(): Promise<User | AuthFailure> {
    if (this.authorization === null) return new InvalidToken('token.missing');
    const match = BEARER.exec(this.authorization);
    if (!match) return new InvalidToken();
    const verified = await this.tokens.verify(match[1]!);
    if (!verified.ok)
      return verified.reason === 'expired' ? new TokenExpired() : new InvalidToken();
    const user = await findUserById(this.em(), verified.claims.userId);
    if (!user) return new UserNotExist();
    this.current = user;
    return user;
  }
}
