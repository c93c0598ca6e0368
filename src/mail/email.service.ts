import { addressKey, type RateLimits } from '../abuse/rate-limits';
import { type AccountService } from '../accounts/account.service';
import { type PasswordHasher } from '../accounts/passwords';
import { type AuthPayload } from '../accounts/results';
import * as rules from '../accounts/rules';
import { User } from '../accounts/user.entity';
import { type UserStore } from '../accounts/user.repository';
import { type Context } from '../context';
import {
  type ErrorResult,
  InvalidInput,
  InvalidToken,
  TokenExpired,
  TooManyRequests,
} from '../info/results';
import { type Logger, safeError } from '../logger';
import { type Sessions } from '../sessions/sessions';
import { type AccountMail } from './account-mail';
import { EmailTokenPurpose, type EmailTokens, type Presented } from './email-tokens';
import { RequestAccepted } from './results';

/** Password reset and email verification: CONTRACT section 8. */
export class EmailService {
  constructor(
    private readonly accounts: AccountService,
    private readonly passwords: PasswordHasher,
    private readonly sessions: Sessions,
    private readonly tokens: EmailTokens,
    private readonly mail: AccountMail,
    private readonly limits: RateLimits,
    private readonly users: UserStore,
    private readonly logger: Logger,
  ) {}

  /**
   * Always accepted, in the same time: the lookup and the mail start once the answer has been
   * written, so neither the answer nor its timing tells whether the address has an account. When
   * the client's request cannot be counted (the counters' store down), the failure is logged and
   * nothing is sent, and the answer is still accepted (CONTRACT section 8: always).
   */
  async requestPasswordReset(ctx: Context, email: string): Promise<RequestAccepted> {
    const mayMail = await this.clientMayMail(ctx);
    const address = rules.email(email);
    if (mayMail && address.ok) {
      const em = ctx.em.fork();
      const normalized = address.value.normalized;
      const { lang } = ctx;
      ctx.afterResponse(() =>
        this.mail.later(async () => {
          const user = await em.findOne(User, { emailNormalized: normalized });
          if (user) await this.mail.sendLink(user, EmailTokenPurpose.RESET_PASSWORD, lang);
        }),
      );
    }
    return new RequestAccepted(true);
  }

  /**
   * Spends a reset token: the new password is stored, every session of the user ends, and the
   * caller gets a new one. A link that reached the mailbox also proves the address.
   */
  async resetPassword(
    ctx: Context,
    token: string,
    newPassword: string,
  ): Promise<AuthPayload | ErrorResult> {
    // Each attempt may cost a hash: counted like a login attempt from the client's address.
    const limit = await this.limits.loginAddress.hit(addressKey(ctx.client.address));
    if (!limit.allowed) return new TooManyRequests(limit.retryAfter);

    const found = await this.presentedFor(ctx, EmailTokenPurpose.RESET_PASSWORD, token);
    if (!(found instanceof User)) return found;
    const user = found;
    const chosen = rules.newPassword(
      newPassword,
      { email: user.email, username: user.username },
      'newPassword',
    );
    if (!chosen.ok) return new InvalidInput([chosen.violation]);
    const passwordHash = await this.passwords.hash(chosen.value, ctx.clientGone);

    const result = await ctx.em.transactional(async (em) => {
      const presented = await this.tokens.check(em, EmailTokenPurpose.RESET_PASSWORD, token);
      if (presented.state !== 'valid' || !(await this.tokens.spend(em, presented.token))) {
        return new InvalidToken('reset.invalid'); // another request spent it a moment ago
      }
      const now = new Date();
      // Only while the user still has the address the link was mailed to: changed during the
      // hash, the link is dead (spent) and proves nothing about the new address.
      const reset = await em.nativeUpdate(
        User,
        { id: user.id, emailNormalized: presented.token.email },
        { passwordHash, emailVerified: true, updatedAt: now },
      );
      if (reset === 0) return new InvalidToken('reset.invalid');
      Object.assign(user, { passwordHash, emailVerified: true, updatedAt: now });
      await this.sessions.endAll(em, user.id);
      return this.accounts.signIn(ctx, user, em);
    });
    // The owner is back in: wrong guesses counted against the account no longer lock it.
    if (!(result instanceof InvalidToken)) await this.accounts.clearLoginFailures(user.id);
    return result;
  }

  /** requestPasswordReset's count from the client's address: within it; a failure, as over it. */
  private async clientMayMail(ctx: Context): Promise<boolean> {
    try {
      return (await this.limits.mailClient.hit(addressKey(ctx.client.address))).allowed;
    } catch (error) {
      // Never the address asked for: only that the count failed, and why.
      this.logger.error(
        { requestId: ctx.requestId, err: safeError(error) },
        'requestPasswordReset: could not count the request; nothing sent',
      );
      return false;
    }
  }

  /**
   * For the signed-in owner, who may be told the truth: over a limit it is 1020, and a counter
   * that fails (the store down) fails the request (1023), rather than claiming a mail was sent.
   */
  async requestEmailVerification(ctx: Context): Promise<RequestAccepted | ErrorResult> {
    const caller = await ctx.auth.requireSession();
    if (!(caller instanceof User)) return caller;
    if (caller.emailVerified) return new RequestAccepted(false);
    const client = await this.limits.mailClient.hit(addressKey(ctx.client.address));
    if (!client.allowed) return new TooManyRequests(client.retryAfter);
    const sent = await this.mail.sendLink(caller, EmailTokenPurpose.VERIFY_EMAIL, ctx.lang);
    return sent.allowed ? new RequestAccepted(true) : new TooManyRequests(sent.retryAfter);
  }

  /** Needs no session: the link may be opened on any device. */
  async verifyEmail(ctx: Context, token: string): Promise<User | ErrorResult> {
    await ctx.auth.optional(); // so User.email can tell whether the caller may see it
    const found = await this.presentedFor(ctx, EmailTokenPurpose.VERIFY_EMAIL, token);
    if (!(found instanceof User)) return found;
    const user = found;
    const verified = await ctx.em.transactional(async (em) => {
      const presented = await this.tokens.check(em, EmailTokenPurpose.VERIFY_EMAIL, token);
      if (presented.state !== 'valid' || !(await this.tokens.spend(em, presented.token))) {
        return false;
      }
      // Only the address the link was mailed to, if the user still has it.
      const verified = await em.nativeUpdate(
        User,
        { id: user.id, emailNormalized: presented.token.email },
        { emailVerified: true },
      );
      return verified > 0;
    });
    if (!verified) return new InvalidToken('verify.invalid');
    user.emailVerified = true;
    return user;
  }

  /**
   * The user a live token of this purpose was sent to. A token sent to an address the user no
   * longer has is dead: it is spent here and answers as unknown.
   */
  private async presentedFor(
    ctx: Context,
    purpose: EmailTokenPurpose,
    token: string,
  ): Promise<User | ErrorResult> {
    const invalid = purpose === EmailTokenPurpose.VERIFY_EMAIL ? 'verify.invalid' : 'reset.invalid';
    const presented: Presented = await this.tokens.check(ctx.em, purpose, token);
    if (presented.state === 'unknown') return new InvalidToken(invalid);
    if (presented.state === 'expired') {
      return new TokenExpired(
        purpose === EmailTokenPurpose.VERIFY_EMAIL ? 'verify.expired' : 'reset.expired',
      );
    }
    const user = await this.users.byId(presented.token.user.id);
    if (!user || user.emailNormalized !== presented.token.email) {
      await this.tokens.spend(ctx.em, presented.token);
      return new InvalidToken(invalid);
    }
    return user;
  }
}
