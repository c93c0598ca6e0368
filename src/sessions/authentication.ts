import { User, Role } from '../accounts/user.entity';
import { type UserStore } from '../accounts/user.repository';
import { ErrorResult, InvalidToken, TokenExpired, UserNotExist } from '../info/results';
import { type AccessClaims, type AccessTokens } from './tokens';

export type AuthFailure = ErrorResult; // TokenExpired | InvalidToken | UserNotExist

const BEARER = /^Bearer +([A-Za-z0-9._~+/-]+=*) *$/i;

/**
 * Who is calling, decided at most once per request and only when a field asks. The user and
 * their session are read fresh from the database each request (one query), so a role change, a
 * logout or a revocation bites on the next request.
 */
export class Authentication {
  private verdict?: Promise<User | AuthFailure>;
  private verifiedToken?: Promise<AccessClaims | AuthFailure>;
  private current: User | null = null;
  private session: string | null = null;
  private readonly issuedTo = new Set<string>();

  constructor(
    private readonly authorization: string | null,
    private readonly tokens: AccessTokens,
    private readonly users: UserStore,
  ) {}

  /** The caller, or the failure that says why there is none (1009, 1010, 1016). */
  require(): Promise<User | AuthFailure> {
    this.verdict ??= this.authenticate();
    return this.verdict;
  }

  /**
   * Who the token says is calling, from the token alone: its signature and expiry are checked,
   * but not whether its user and session still exist. Null without a valid token. Only for a
   * statement that checks the session itself (updateProfile's own); require() is the check.
   */
  async claims(): Promise<AccessClaims | null> {
    const verified = await this.verifyToken();
    return verified instanceof ErrorResult ? null : verified;
  }

  /** The caller if the request carries a valid token; anonymous otherwise, never a failure. */
  async optional(): Promise<User | null> {
    if (this.authorization === null) return null;
    const result = await this.require();
    return result instanceof User ? result : null;
  }

  /**
   * For operations whose result has no UserNotExist: a token whose user is gone is as good as
   * revoked there (1010), since their sessions went with them.
   */
  async requireSession(): Promise<User | AuthFailure> {
    const result = await this.require();
    return result instanceof UserNotExist ? new InvalidToken('token.sessionEnded') : result;
  }

  /**
   * The caller, proven by a statement that checked the token's session itself (updateProfile's
   * own): require() need not read them again.
   */
  confirmed(user: User, sessionId: string): void {
    this.current = user;
    this.session = sessionId;
    this.verdict = Promise.resolve(user);
  }

  /**
   * This request issued tokens for the user (login, register, a refresh, a reset, a password
   * change): the answer may show them their own private fields. It does not make them the caller:
   * the operation's other fields still act for the Authorization header, or for nobody without
   * one (1010), as the contract says.
   */
  issuedTokensTo(user: User): void {
    this.issuedTo.add(user.id);
  }

  /** The session the caller's token belongs to, once require() resolved to a user. */
  get sessionId(): string | null {
    return this.session;
  }

  mayReadPrivateFieldsOf(user: User): boolean {
    if (this.issuedTo.has(user.id)) return true;
    const viewer = this.current;
    return viewer !== null && (viewer.id === user.id || viewer.role === Role.ADMIN);
  }

  private verifyToken(): Promise<AccessClaims | AuthFailure> {
    this.verifiedToken ??= this.verifyBearer();
    return this.verifiedToken;
  }

  private async verifyBearer(): Promise<AccessClaims | AuthFailure> {
    if (this.authorization === null) return new InvalidToken('token.missing');
    const match = BEARER.exec(this.authorization);
    if (!match) return new InvalidToken();
    const verified = await this.tokens.verify(match[1]!);
    if (!verified.ok)
      return verified.reason === 'expired' ? new TokenExpired() : new InvalidToken();
    return verified.claims;
  }

  private async authenticate(): Promise<User | AuthFailure> {
    const verified = await this.verifyToken();
    if (verified instanceof ErrorResult) return verified;
    const { userId, sessionId } = verified;
    const signed = await this.users.signedIn(userId, sessionId);
    if (!signed) return new UserNotExist();
    if (!signed.sessionLive) return new InvalidToken('token.sessionEnded');
    this.current = signed.user;
    this.session = sessionId;
    return signed.user;
  }
}
