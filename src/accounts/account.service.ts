import { randomBytes, randomInt } from 'node:crypto';
import { type EntityManager, UniqueConstraintViolationException } from '@mikro-orm/core';
import {
  addressKey,
  type Claim,
  type Counter,
  type RateLimits,
  type Verdict,
} from '../abuse/rate-limits';
import { userKey, type Lookup, type LoginReads, unknownKey } from './login-reads';
import { type RegistrationReads } from './registration-reads';
import { type Context } from '../context';
import { canonicalId, uuidv7 } from '../db/ids';
import { type RowInsert } from '../db/prepared-statements';
import {
  FieldViolation,
  InsufficientPermissions,
  InvalidInput,
  ErrorResult,
  MailboxOccupied,
  TooManyRequests,
  UserNotExist,
  WrongPassword,
  AccountGenerationError,
  InvalidToken,
  TokenExpired,
  EmailNotVerified,
} from '../info/results';
import { type Logger, safeError } from '../logger';
import { type AccountMail } from '../mail/account-mail';
import { EmailTokenPurpose } from '../mail/email-tokens';
import { AccountDeleted } from '../sessions/results';
import { type Opened, type Sessions } from '../sessions/sessions';
import { type AccessTokens } from '../sessions/tokens';
import { type LoginInput, type RegisterInput, type UpdateProfileInput } from './inputs';
import { type PasswordCheck, type PasswordHasher } from './passwords';
import { AuthPayload } from './results';
import * as rules from './rules';
import { type ProfileChanges, type UserStore } from './user.repository';
import { Role, User } from './user.entity';

/** How many random account numbers registration tries before it answers 1007. */
const ACCOUNT_ATTEMPTS = 5;

export interface NewUser {
  /**
   * A fresh id unless given, with createdAt: registration gives both, made just before it calls
   * store(), to refer to the id from the rows stored alongside. Either way the id is made when
   * the row is about to be stored, so that ids follow the order users are stored in (`users`).
   */
  id?: string;
  createdAt?: Date;
  username: string;
  email: rules.Email;
  passwordHash: string;
  avatar: string | null;
  introduction: string | null;
  role: Role;
  /** Only for addresses the operator vouches for (ADMIN_EMAIL); everyone else verifies by mail. */
  emailVerified?: boolean;
}

type Stored = { ok: true; user: User } | { ok: false; reason: 'email-taken' | 'failed' };

/** 10 decimal digits, the first 1-9, from the CSPRNG: not guessable, not sequential. */
function randomAccount(): string {
  return String(randomInt(1_000_000_000, 10_000_000_000));
}

/** updateProfileOf's answer when the user's address changed after it was read: the user now. */
class EmailMoved {
  constructor(readonly now: User) {}
}

/** The constraint a unique violation names, from the driver's own words, not from the SQL text. */
function violatedConstraint(error: UniqueConstraintViolationException): string {
  const { constraint } = error as { constraint?: unknown };
  if (typeof constraint === 'string') return constraint;
  const message = error.message;
  return message.slice(message.lastIndexOf(' - ') + 1);
}

function invalid(violations: rules.Violations): InvalidInput | null {
  const list = violations.first();
  return list ? new InvalidInput(list) : null;
}

export class AccountService {
  /** A hash of nothing anyone knows: unknown accounts are checked against it when hidden. */
  private readonly decoy: Promise<string>;

  constructor(
    private readonly passwords: PasswordHasher,
    private readonly tokens: AccessTokens,
    private readonly sessions: Sessions,
    private readonly limits: RateLimits,
    private readonly logger: Logger,
    private readonly mail: AccountMail,
    private readonly users: UserStore,
    private readonly loginReads: LoginReads,
    private readonly registrationReads: RegistrationReads,
    private readonly options: { hideAccountExistence: boolean; requireEmailVerification: boolean },
  ) {
    this.decoy = passwords.hash(randomBytes(32).toString('base64url'));
  }

  async register(ctx: Context, input: RegisterInput): Promise<AuthPayload | ErrorResult> {
    const violations = new rules.Violations();
    const username = violations.take(rules.username(input.username));
    const password = violations.take(
      rules.newPassword(input.password, { email: input.email, username: input.username }),
    );
    const email = violations.take(rules.email(input.email));
    const avatar = violations.take(rules.avatar(input.avatar));
    const introduction = violations.take(rules.introduction(input.introduction));
    const rejected = invalid(violations);
    if (rejected) return rejected;

    // Counted once the input is valid: from here on each attempt costs a hash. The email is
    // checked meanwhile (in the same statement with the counters in PostgreSQL, else side by
    // side), early only to spare a hash: the unique index decides races below. Over the limit,
    // the check's answer is unused.
    const read = await this.registrationReads.read(
      addressKey(ctx.client.address),
      email!.normalized,
    );
    if (!read.address.allowed) return new TooManyRequests(read.address.retryAfter);
    if (read.emailTaken) return new MailboxOccupied();

    // The user, their verification token and their first session are stored in one write (one
    // statement on PostgreSQL): all of them or none. So the mail is counted against
    // RATE_LIMIT_MAIL before it (with the reads above in PostgreSQL, else while the password
    // hashes), and a registration that then fails (the address taken meanwhile, a storage
    // failure) has used one of the address's mails.
    const purpose = EmailTokenPurpose.VERIFY_EMAIL;
    const [passwordHash, linkAllowed] = await Promise.all([
      this.passwords.hash(password!, ctx.clientGone),
      this.mail.countLink(email!.normalized, purpose, ctx.requestId, read.mail),
    ]);
    // The id and createdAt only now, with the row about to be stored: `users` pages by id, so ids
    // must follow the order in which users are stored, not that in which their hashes began (a
    // hash may wait its turn for seconds). The rows stored alongside are made with it.
    const createdAt = new Date();
    const id = uuidv7(createdAt.getTime());
    const link = linkAllowed ? this.mail.prepareLink(id, email!.normalized, purpose) : null;
    const session = this.sessions.prepare(id, ctx.client);
    const stored = await this.store(
      {
        id,
        createdAt,
        username: username!,
        email: email!,
        passwordHash,
        avatar: avatar ?? null,
        introduction: introduction ?? null,
        role: Role.USER,
      },
      ctx.requestId,
      link ? [link.row, session.row] : [session.row],
    );
    if (!stored.ok) {
      return stored.reason === 'email-taken' ? new MailboxOccupied() : new AccountGenerationError();
    }
    if (link) this.mail.sendPrepared(stored.user, link, ctx.lang);
    return this.payload(ctx, stored.user, session.opened);
  }

  async login(ctx: Context, input: LoginInput): Promise<AuthPayload | ErrorResult> {
    const violations = new rules.Violations();
    let lookup: Lookup | null = null;
    // Forms send "" for a field left empty: beside an email, an empty account is not given.
    const given = input.account === '' && input.email ? null : input.account;
    if (given !== null && given !== undefined) {
      const account = violations.take(rules.account(given));
      if (account) lookup = { account };
    } else if (input.email !== null && input.email !== undefined) {
      const email = violations.take(rules.email(input.email));
      if (email) lookup = { emailNormalized: email.normalized };
    } else {
      violations.add(
        new FieldViolation('account', 'MISSING_REQUIRED_PARAMS', 'login.missingIdentifier'),
      );
    }
    const password = violations.take(rules.givenPassword(input.password));
    const rejected = invalid(violations);
    // Every attempt from the address counts, valid or not. A valid one counts in the same trip
    // (on PostgreSQL, the same statement) as the account is looked up (LoginReads); the lookup's
    // answer is used only within the limit.
    const address = addressKey(ctx.client.address);
    if (rejected || !lookup || !password) {
      const limit = await this.limits.loginAddress.hit(address);
      return limit.allowed ? rejected! : new TooManyRequests(limit.retryAfter);
    }
    const read = await this.loginReads.read(lookup, address);
    if (!read.address.allowed) return new TooManyRequests(read.address.retryAfter);
    const { user } = read;

    const hidden = this.options.hideAccountExistence;
    if (!user && !hidden) return new UserNotExist();

    // Wrong passwords are counted per account, from any address.
    const key = user ? userKey(user.id) : unknownKey(lookup);
    const hash = user?.passwordHash ?? (await this.decoy); // nothing matches the decoy
    const check = await this.guardedCheck(
      this.limits.loginAccount,
      key,
      hash,
      password,
      ctx.clientGone,
      read.account,
    );
    if (check instanceof ErrorResult) return check;
    if (!user) return new WrongPassword(); // the decoy matched: no password should, but never sign in
    // The right password: the attempt counted before the hash is given back, and any wrong ones
    // counted before it are forgotten (a success resets the count), beside the sign-in's writes.
    const { claim } = check;
    const counter = this.limits.loginAccount;
    const [, answer] = await Promise.all([
      claim.before > 0 ? counter.reset(key) : counter.giveBack(key, claim),
      this.afterRightPassword(ctx, user, password, check.outdated),
    ]);
    return answer;
  }

  /** A login's end once the password was right: a hash upgraded if outdated, then the session. */
  private async afterRightPassword(
    ctx: Context,
    user: User,
    password: string,
    outdated: boolean,
  ): Promise<AuthPayload | ErrorResult> {
    if (outdated) {
      // Parameters were raised since this hash was made: upgrade it now that we hold the password,
      // unless the password was changed meanwhile (the upgrade would bring the old one back).
      const checked = user.passwordHash;
      user.passwordHash = await this.passwords.hash(password);
      await ctx.em.nativeUpdate(
        User,
        { id: user.id, passwordHash: checked },
        { passwordHash: user.passwordHash },
      );
    }
    if (this.options.requireEmailVerification && !user.emailVerified) {
      // The password was right, so the owner is here: a fresh link helps them, and tells no one else.
      await this.mail.trySendLink(user, EmailTokenPurpose.VERIFY_EMAIL, ctx.lang, ctx.requestId);
      return new EmailNotVerified();
    }
    const opened = await this.sessions.openChecked(user.id, user.passwordHash, ctx.client);
    // Changed or reset since it was checked (or the account deleted): the password is wrong now.
    if (!opened) return new WrongPassword();
    return this.payload(ctx, user, opened);
  }

  async updateProfile(
    ctx: Context,
    input: UpdateProfileInput,
    userId: string | null | undefined,
  ): Promise<User | ErrorResult> {
    const atOnce = await this.updateOwnProfileAtOnce(ctx, input, userId);
    if (atOnce) return atOnce;

    const caller = await ctx.auth.require();
    if (!(caller instanceof User)) return caller;

    let target = caller;
    const otherId = someoneElse(userId, caller.id);
    if (otherId !== null) {
      if (caller.role !== Role.ADMIN) return new InsufficientPermissions('permission.otherProfile');
      const other = await this.findById(otherId);
      if (!other) return new UserNotExist();
      target = other;
    }
    // An email change mails two addresses and tells whether the new one is taken: it counts as
    // a request for mail from the client's address (RATE_LIMIT_MAIL), once per request even when
    // the change is decided again below. A caller's own change or an admin's, alike.
    let counted: Promise<Verdict> | undefined;
    const mayChangeEmail = () =>
      (counted ??= this.limits.mailClient.hit(addressKey(ctx.client.address)));
    const first = await this.updateProfileOf(ctx, input, caller, target, mayChangeEmail);
    if (!(first instanceof EmailMoved)) return first;
    // The address changed after it was read (another request's change committed): whether this
    // one changes it, and so needs the password, is decided again from the stored user.
    const again = await this.updateProfileOf(ctx, input, caller, first.now, mayChangeEmail);
    return again instanceof EmailMoved ? new UserNotExist() : again;
  }

  /**
   * updateProfile's change to `target`, the user as read; EmailMoved if its address changed since.
   * An email change first asks `mayChangeEmail` (the client's mail limit), before the password
   * is checked or the new address looked up: over it, nothing is checked and nothing changes.
   */
  private async updateProfileOf(
    ctx: Context,
    input: UpdateProfileInput,
    caller: User,
    target: User,
    mayChangeEmail: () => Promise<Verdict>,
  ): Promise<User | ErrorResult | EmailMoved> {
    const { changes, emailChanges, violations } = checkProfileInput(input, target);
    // Changing one's own email proves the password; an admin changing someone else's need not.
    const needsPassword = emailChanges && target.id === caller.id;
    if (needsPassword && !input.currentPassword) {
      violations.add(
        new FieldViolation(
          'currentPassword',
          'MISSING_REQUIRED_PARAMS',
          'update.currentPasswordRequired',
        ),
      );
    }
    const rejected = invalid(violations);
    if (rejected) return rejected;

    if (emailChanges) {
      const limit = await mayChangeEmail();
      if (!limit.allowed) return new TooManyRequests(limit.retryAfter);
    }
    if (needsPassword) {
      const wrong = await this.checkPassword(ctx, target, input.currentPassword!);
      if (wrong) return wrong;
    }
    if (emailChanges && (await this.users.emailTaken(changes.emailNormalized!))) {
      return new MailboxOccupied();
    }

    const emailGiven = changes.emailNormalized !== undefined;
    let updated: User | null;
    try {
      // A change proven by the password holds only while that password is the user's: one
      // changed or reset meanwhile leaves the email as it is. Whether an email given is a change
      // was decided from the address read: written only while the user's is still that one.
      updated = await this.users.updateProfile(target.id, changes, new Date(), {
        ...(needsPassword ? { passwordHash: target.passwordHash } : {}),
        ...(emailGiven ? { emailNormalized: target.emailNormalized } : {}),
      });
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) return new MailboxOccupied();
      throw error;
    }
    if (!updated) {
      // Deleted since it was read (by itself on another device, or by an admin); for a change the
      // password proved, its password changed since; or its address did.
      if (emailGiven) {
        const now = await this.findById(target.id);
        if (now && now.emailNormalized !== target.emailNormalized) return new EmailMoved(now);
      }
      return needsPassword ? new WrongPassword() : new UserNotExist();
    }
    const old = { email: target.email, emailNormalized: target.emailNormalized };
    // As stored now (another request's change to another field included); `target`, if it is
    // the caller as this request knows it (not after a retry), is brought up to date too.
    Object.assign(target, updated);
    if (emailChanges) await this.mail.emailChanged(target, old, ctx.lang, ctx.requestId);
    return target;
  }

  /**
   * The common update, a caller's valid change to their own profile other than the email, with
   * one statement: it writes only while the token's session is live (the check require() makes)
   * and returns the stored user, so the caller is not read first. Null when it did not write:
   * then updateProfile reads the caller and answers as it would have (1009, 1010, 1016; a
   * request with invalid input as well, so that a token's failure still comes first). An email
   * change takes that path from the start: it needs the stored address, maybe the password.
   */
  private async updateOwnProfileAtOnce(
    ctx: Context,
    input: UpdateProfileInput,
    userId: string | null | undefined,
  ): Promise<User | null> {
    if (input.email !== undefined) return null;
    const claims = await ctx.auth.claims();
    if (!claims) return null;
    if (someoneElse(userId, claims.userId) !== null) return null;
    const { changes, violations } = checkProfileInput(input, null);
    if (invalid(violations)) return null;
    const user = await this.users.updateProfile(claims.userId, changes, new Date(), {
      sessionId: claims.sessionId,
    });
    if (user) ctx.auth.confirmed(user, claims.sessionId);
    return user;
  }

  async findUser(
    ctx: Context,
    id: string | null | undefined,
    account: string | null | undefined,
  ): Promise<User | ErrorResult> {
    await ctx.auth.optional(); // so User.email can tell whether the caller may see it
    if (id !== null && id !== undefined && id.trim() !== '') {
      return (await this.findById(id)) ?? new UserNotExist();
    }
    if (account !== null && account !== undefined) {
      const violations = new rules.Violations();
      const checked = violations.take(rules.account(account));
      if (!checked) return invalid(violations)!;
      return (await this.users.byAccount(checked)) ?? new UserNotExist();
    }
    return new InvalidInput([
      new FieldViolation('id', 'MISSING_REQUIRED_PARAMS', 'user.lookupMissing'),
    ]);
  }

  /** A password's hash at today's parameters, for store(). */
  hashPassword(password: string): Promise<string> {
    return this.passwords.hash(password);
  }

  /**
   * Inserts a user with a fresh random account number, and `alongside` with them (rows that refer
   * to the user: see UserStore.insert); a collision on the number is retried, one on the email is
   * the caller's 1012. Any other storage failure is logged and reported as such.
   */
  async store(
    values: NewUser,
    requestId: string | null,
    alongside: readonly RowInsert[] = [],
  ): Promise<Stored> {
    for (let attempt = 1; attempt <= ACCOUNT_ATTEMPTS; attempt++) {
      // A given id is kept when the account number is taken (rows alongside refer to it): that
      // rare retry may store the user just behind one with a later id.
      const now = values.createdAt ?? new Date();
      const id = values.id ?? uuidv7(now.getTime());
      try {
        const user = await this.users.insert(
          {
            id,
            account: randomAccount(),
            username: values.username,
            usernameFolded: rules.searchForm(values.username),
            email: values.email.address,
            emailNormalized: values.email.normalized,
            emailVerified: values.emailVerified ?? false,
            passwordHash: values.passwordHash,
            avatar: values.avatar,
            introduction: values.introduction,
            role: values.role,
            createdAt: now,
            updatedAt: now,
          },
          alongside,
        );
        return { ok: true, user };
      } catch (error) {
        if (error instanceof UniqueConstraintViolationException) {
          const constraint = violatedConstraint(error);
          if (constraint.includes('email_normalized')) return { ok: false, reason: 'email-taken' };
          if (constraint.includes('account')) {
            this.logger.warn({ requestId, attempt }, 'account number collision; retrying');
            continue;
          }
        }
        this.logger.error({ requestId, err: safeError(error) }, 'could not store a new account');
        return { ok: false, reason: 'failed' };
      }
    }
    this.logger.error({ requestId, attempts: ACCOUNT_ATTEMPTS }, 'no free account number found');
    return { ok: false, reason: 'failed' };
  }

  /**
   * A signed-in user proving their password: email change, changePassword, deleteAccount.
   */
  private async checkPassword(
    ctx: Context,
    user: User,
    password: string,
  ): Promise<ErrorResult | null> {
    const counter = this.limits.passwordCheck;
    const key = userKey(user.id);
    const check = await this.guardedCheck(
      counter,
      key,
      user.passwordHash,
      password,
      ctx.clientGone,
    );
    if (check instanceof ErrorResult) return check;
    await counter.giveBack(key, check.claim); // the right password: not a wrong one
    return null;
  }

  /**
   * Every password check behind a limit. The attempt is counted under `key` before the hash (by
   * the login's reads when `claim` is given), so that checks made at once cannot all pass a limit
   * that none of them has counted against yet; while the key is limited even the right password
   * is refused, so the limit tells an attacker nothing. A wrong password stays counted; after a
   * right one the caller gives the claim back (or resets the key). A check skipped because its
   * client hung up (`clientGone`) counts as nothing.
   */
  private async guardedCheck(
    counter: Counter,
    key: string,
    hash: string,
    password: string,
    clientGone: AbortSignal,
    claim: Claim | null = null,
  ): Promise<(PasswordCheck & { claim: Claim }) | ErrorResult> {
    const taken = claim ?? (await counter.take(key));
    if (!taken.allowed) return new TooManyRequests(taken.retryAfter);
    let check: PasswordCheck;
    try {
      check = await this.passwords.check(hash, password, clientGone);
    } catch (error) {
      await counter.giveBack(key, taken);
      throw error;
    }
    return check.matches ? { ...check, claim: taken } : new WrongPassword();
  }

  private findById(id: string): Promise<User | null> {
    const canonical = canonicalId(id);
    return canonical ? this.users.byId(canonical) : Promise.resolve(null);
  }

  /** Forgets the wrong passwords counted against the user's account (RATE_LIMIT_LOGIN_ACCOUNT). */
  async clearLoginFailures(userId: string): Promise<void> {
    await this.limits.loginAccount.reset(userKey(userId));
  }

  /**
   * A new session for the user, and its first pair of tokens, inside `transaction`: the session
   * commits or rolls back with the rest (see Sessions.open).
   */
  async signIn(ctx: Context, user: User, transaction: EntityManager): Promise<AuthPayload> {
    return this.payload(ctx, user, await this.sessions.open(user.id, ctx.client, transaction));
  }

  /** An access token for the session and the refresh token it came with. */
  private payload(ctx: Context, user: User, session: Opened): AuthPayload {
    const { token, expiresIn } = this.tokens.issue(user.id, session.sessionId);
    ctx.auth.issuedTokensTo(user);
    return Object.assign(new AuthPayload(), {
      accessToken: token,
      tokenType: 'Bearer',
      expiresIn,
      refreshToken: session.refreshToken,
      refreshExpiresIn: session.refreshExpiresIn,
      user,
    });
  }

  /** Rotation with the reuse interval: see Sessions.refresh. */
  async refresh(ctx: Context, refreshToken: string): Promise<AuthPayload | ErrorResult> {
    // Following a token's chain back costs up to MOST_STEPS_BACK hashes: each walk counts as a
    // login attempt from the address, so forgeries cannot keep the event loop busy.
    const mayWalk = async () =>
      (await this.limits.loginAddress.hit(addressKey(ctx.client.address))).allowed;
    const result = await this.sessions.refresh(ctx.em, refreshToken, mayWalk);
    if (result.ok) return this.payload(ctx, result.user, result);
    if (result.reason === 'expired') return new TokenExpired('refresh.expired');
    if (result.reason === 'reused') {
      // A retired refresh token came back: stolen, or a client that lost track. The session is
      // over either way; this is worth a line in the log (never the token itself).
      this.logger.warn(
        { requestId: ctx.requestId, address: ctx.client.address },
        'refresh token reused: session ended',
      );
      return new InvalidToken('refresh.reused');
    }
    return new InvalidToken('refresh.invalid');
  }

  /**
   * The caller proves the current password; every session of theirs ends, this one included (its
   * access tokens were issued before the change), and the caller gets a fresh session.
   */
  async changePassword(
    ctx: Context,
    currentPassword: string,
    newPassword: string,
  ): Promise<AuthPayload | ErrorResult> {
    const caller = await ctx.auth.requireSession();
    if (!(caller instanceof User)) return caller;
    const violations = new rules.Violations();
    const given = violations.take(rules.givenPassword(currentPassword, 'currentPassword'));
    const chosen = violations.take(
      rules.newPassword(
        newPassword,
        { email: caller.email, username: caller.username },
        'newPassword',
      ),
    );
    const rejected = invalid(violations);
    if (rejected || given === undefined || chosen === undefined) return rejected!;
    const wrong = await this.checkPassword(ctx, caller, given);
    if (wrong) return wrong;
    const passwordHash = await this.passwords.hash(chosen, ctx.clientGone);
    return ctx.em.transactional(async (em) => {
      // Only over the hash just checked: a password changed or reset meanwhile (by the owner
      // locking someone out, or another change sent at once) is not overwritten with one chosen
      // by whoever knew the old one.
      const changed = await em.nativeUpdate(
        User,
        { id: caller.id, passwordHash: caller.passwordHash },
        { passwordHash, updatedAt: new Date() },
      );
      if (changed === 0) return new WrongPassword();
      caller.passwordHash = passwordHash;
      await this.sessions.endAll(em, caller.id);
      return this.signIn(ctx, caller, em);
    });
  }

  /** The caller proves their password; the account and every session of it are removed. */
  async deleteAccount(ctx: Context, password: string): Promise<AccountDeleted | ErrorResult> {
    const caller = await ctx.auth.requireSession();
    if (!(caller instanceof User)) return caller;
    const given = rules.givenPassword(password);
    if (!given.ok) return new WrongPassword(); // blank: it cannot be the password
    const wrong = await this.checkPassword(ctx, caller, given.value);
    if (wrong) return wrong;
    // Sessions go with the user (ON DELETE CASCADE); the email is free again at once. Only while
    // the password is the one just checked: after a change or reset meanwhile, it is wrong.
    const deleted = await ctx.em.nativeDelete(User, {
      id: caller.id,
      passwordHash: caller.passwordHash,
    });
    if (deleted === 0) return new WrongPassword();
    return new AccountDeleted(caller.id);
  }
}

/**
 * updateProfile's userId when it names someone other than the caller, else null: absent or
 * blank, it is the caller; ids are UUIDs, stored lower-case and compared without case.
 */
function someoneElse(userId: string | null | undefined, callerId: string): string | null {
  const given = userId?.trim() ?? '';
  return given !== '' && given.toLowerCase() !== callerId ? given : null;
}

/**
 * An update's changes, checked by the field rules. `target` is the user whose profile changes,
 * needed only to tell whether a given email is a new address (without it, any email is).
 */
function checkProfileInput(
  input: UpdateProfileInput,
  target: User | null,
): { changes: ProfileChanges; emailChanges: boolean; violations: rules.Violations } {
  const violations = new rules.Violations();
  const changes: ProfileChanges = {};
  let emailChanges = false;
  if (input.username !== undefined) {
    const username = violations.take(rules.username(input.username));
    if (username !== undefined) {
      changes.username = username;
      changes.usernameFolded = rules.searchForm(username);
    }
  }
  if (input.email !== undefined) {
    const email = violations.take(rules.email(input.email));
    if (email !== undefined) {
      changes.email = email.address;
      changes.emailNormalized = email.normalized;
      emailChanges = target === null || email.normalized !== target.emailNormalized;
      // A new address is unverified until its owner follows the link sent to it.
      if (emailChanges) changes.emailVerified = false;
    }
  }
  if (input.avatar !== undefined) {
    const avatar = violations.take(rules.avatar(input.avatar));
    if (avatar !== undefined) changes.avatar = avatar;
  }
  if (input.introduction !== undefined) {
    const introduction = violations.take(rules.introduction(input.introduction));
    if (introduction !== undefined) changes.introduction = introduction;
  }
  const nothingGiven = [input.username, input.email, input.avatar, input.introduction].every(
    (value) => value === undefined,
  );
  if (nothingGiven) {
    violations.add(new FieldViolation('input', 'MISSING_REQUIRED_PARAMS', 'update.nothing'));
  }
  return { changes, emailChanges, violations };
}
