import { type RateLimits, type Verdict } from '../abuse/rate-limits';
import { type User } from '../accounts/user.entity';
import { type MailSettings } from '../config';
import { durationText, type MailKind, renderMail } from '../info/messages/mail';
import { type Lang } from '../info/status';
import { type Logger, safeError } from '../logger';
import { EmailTokenPurpose, type EmailTokens, type NewEmailToken } from './email-tokens';
import { type Mailer } from './mailer';

const LINKS: Record<EmailTokenPurpose, { kind: MailKind; path: string }> = {
  [EmailTokenPurpose.VERIFY_EMAIL]: { kind: 'verifyEmail', path: '/verify-email' },
  [EmailTokenPurpose.RESET_PASSWORD]: { kind: 'resetPassword', path: '/reset-password' },
};

/** A link's token made before its user is stored (see AccountMail.prepareLink). */
export interface PreparedLink extends NewEmailToken {
  purpose: EmailTokenPurpose;
}

/**
 * The mails of an account: a link with a fresh single-use token (verification, password reset)
 * or a notice. Links go to APP_URL/verify-email?token=... and APP_URL/reset-password?token=...,
 * pages of the app that call verifyEmail / resetPassword with the token.
 */
export class AccountMail {
  private readonly background = new Set<Promise<void>>();

  constructor(
    private readonly mailer: Mailer,
    private readonly tokens: EmailTokens,
    private readonly limits: RateLimits,
    private readonly settings: MailSettings,
    private readonly logger: Logger,
  ) {}

  /**
   * Issues a token for the user's current address and queues the mail with its link, unless the
   * address had RATE_LIMIT_MAIL mails already (then nothing is issued or sent).
   */
  async sendLink(user: User, purpose: EmailTokenPurpose, lang: Lang): Promise<Verdict> {
    const verdict = await this.limits.mailRecipient.hit(user.emailNormalized);
    if (!verdict.allowed) return verdict;
    const token = await this.tokens.issue(
      user.id,
      purpose,
      user.emailNormalized,
      this.ttlOf(purpose),
    );
    this.mailLink(user, purpose, token, lang);
    return verdict;
  }

  /**
   * For a user not stored yet (a registration), before their id is known: the mail counted
   * against RATE_LIMIT_MAIL now (or already: `counted`, its verdict). Whether a link may be sent,
   * which prepareLink() then makes: false over the limit, or when counting failed (logged, never
   * thrown: the registration goes on without a link, as with trySendLink).
   */
  async countLink(
    email: string,
    purpose: EmailTokenPurpose,
    requestId: string | null,
    counted?: Verdict,
  ): Promise<boolean> {
    try {
      return (counted ?? (await this.limits.mailRecipient.hit(email))).allowed;
    } catch (error) {
      this.linkFailed(requestId, purpose, error);
      return false;
    }
  }

  /**
   * A token for a user about to be stored, once countLink() allowed it: the caller stores its row
   * with the user's; then sendPrepared() mails its link.
   */
  prepareLink(userId: string, email: string, purpose: EmailTokenPurpose): PreparedLink {
    return { purpose, ...this.tokens.prepare(userId, purpose, email, this.ttlOf(purpose)) };
  }

  /** Mails the link of a prepared token, once its row is stored. */
  sendPrepared(user: User, link: PreparedLink, lang: Lang): void {
    this.mailLink(user, link.purpose, link.token, lang);
  }

  private mailLink(user: User, purpose: EmailTokenPurpose, token: string, lang: Lang): void {
    const { kind, path } = LINKS[purpose];
    const url = `${this.settings.appUrl}${path}?token=${token}`;
    this.mailer.send({
      kind,
      to: user.email,
      ...renderMail(
        kind,
        lang,
        {
          username: user.username,
          email: user.email,
          validFor: durationText(this.ttlOf(purpose), lang),
        },
        { url, token },
      ),
    });
  }

  private ttlOf(purpose: EmailTokenPurpose): number {
    return purpose === EmailTokenPurpose.VERIFY_EMAIL
      ? this.settings.verificationTtl
      : this.settings.passwordResetTtl;
  }

  /**
   * The same, for flows whose answer must not wait for it or fail with it (registration, a
   * refused login, an email change): errors are logged, never thrown.
   */
  async trySendLink(
    user: User,
    purpose: EmailTokenPurpose,
    lang: Lang,
    requestId: string | null,
  ): Promise<void> {
    try {
      await this.sendLink(user, purpose, lang);
    } catch (error) {
      this.linkFailed(requestId, purpose, error);
    }
  }

  /** A link that could not be issued: logged (as safeError keeps it, never the SQL), never thrown. */
  private linkFailed(requestId: string | null, purpose: EmailTokenPurpose, error: unknown): void {
    this.logger.error(
      { requestId, purpose, err: safeError(error) },
      'could not issue an email link',
    );
  }

  /**
   * After the user's email changed (committed): every link mailed before dies, the new address
   * gets a verification link and the old one a notice, each only within its recipient's
   * RATE_LIMIT_MAIL (else it is not sent). Errors are logged, never thrown: the change itself is
   * done.
   */
  async emailChanged(
    user: User,
    old: { email: string; emailNormalized: string },
    lang: Lang,
    requestId: string,
  ): Promise<void> {
    try {
      await this.tokens.revokeAll(user.id);
    } catch (error) {
      this.logger.error(
        { requestId, err: safeError(error) },
        'could not revoke the links mailed before an email change',
      );
    }
    await this.trySendLink(user, EmailTokenPurpose.VERIFY_EMAIL, lang, requestId);
    let notice: Verdict;
    try {
      notice = await this.limits.mailRecipient.hit(old.emailNormalized);
    } catch (error) {
      // The notice is the owner's warning of a change they may not have made: a counter that
      // failed (the store down) does not hold it back. No one can make a counter fail at will,
      // and the change itself was counted against its client's address before it was made.
      this.logger.error(
        { requestId, err: safeError(error) },
        'could not count the notice of an email change; sending it',
      );
      notice = { allowed: true };
    }
    if (notice.allowed) this.sendEmailChanged(user, old.email, lang);
  }

  /** Tells the old address that the account's email changed (no token). */
  private sendEmailChanged(user: User, oldEmail: string, lang: Lang): void {
    this.mailer.send({
      kind: 'emailChanged',
      to: oldEmail,
      ...renderMail(
        'emailChanged',
        lang,
        {
          username: user.username,
          oldEmail,
          newEmail: user.email,
          time: new Date().toISOString().replace('T', ' ').slice(0, 16) + ' UTC',
        },
        null,
      ),
    });
  }

  /**
   * Runs `work` in the background, tracked so idle() and close() can wait for it (with
   * Context.afterResponse: after the answer, which then cannot depend on what it finds).
   */
  later(work: () => Promise<void>): void {
    const job = new Promise<void>((done) => setImmediate(done))
      .then(work)
      .catch((error: unknown) =>
        this.logger.error({ err: safeError(error) }, 'mail work after the answer failed'),
      )
      .finally(() => this.background.delete(job));
    this.background.add(job);
  }

  /**
   * Shutting down: lets work after answers finish (it needs the database, which closes next),
   * then gives queued mail its last chance (Mailer.close).
   */
  async close(graceMs = 5_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.background]),
      new Promise((done) => (timer = setTimeout(done, graceMs).unref())),
    ]);
    clearTimeout(timer);
    await this.mailer.close(graceMs);
  }

  /** Resolves once background work is done and every queued mail delivered or given up on. */
  async idle(): Promise<void> {
    while (this.background.size > 0) await Promise.allSettled([...this.background]);
    await this.mailer.idle();
  }
}
