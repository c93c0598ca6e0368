import { createHash, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import {
  DeleteAccountDocument,
  EmailVerifiedDocument,
  LoginDocument,
  MeDocument,
  RefreshTokenDocument,
  RegisterDocument,
  RequestEmailVerificationDocument,
  RequestPasswordResetDocument,
  ResetPasswordDocument,
  SessionsDocument,
  UpdateProfileDocument,
  VerifyEmailDocument,
} from './generated/graphql';
import { registerUser, type Registered } from './support/accounts';
import { fillHashLine, inLine } from './support/hash-line';
import { ADMIN_EMAIL, ADMIN_PASSWORD, loginAdmin } from './support/admin';
import { expectCleanLog, keep } from './support/log-secrets';
import { bearer, startServer, type TestServer } from './support/server';
import { type Inbox, SMTP_PASSWORD, startInbox, tokenIn } from './support/smtp';
import { eventually } from './support/wait';

const APP_URL = 'https://app.example';

const sha256 = (text: string) => createHash('sha256').update(text).digest('base64url');

/** A mailed token as the test knows it: the token, and the hash the server stores of it. */
function mailed(server: TestServer, token: string): string {
  keep(server, token, sha256(token));
  return token;
}

/** The log holds none of the kept secrets, and never the SMTP password of SMTP_URL. */
function expectCleanMailLog(server: TestServer, errorsExpected = false): void {
  expectCleanLog(server, errorsExpected);
  expect(server.logText()).not.toContain(SMTP_PASSWORD);
}

async function register(server: TestServer, headers?: Record<string, string>) {
  const unique = randomUUID().slice(0, 8);
  const user = await registerUserWith(server, `mail-${unique}@example.com`, headers);
  return user;
}

async function registerUserWith(
  server: TestServer,
  email: string,
  headers?: Record<string, string>,
): Promise<Registered> {
  const user = headers
    ? await registerWithHeaders(server, email, headers)
    : await registerUser(server, { email });
  keep(server, user.password, user.token, user.refreshToken);
  return user;
}

async function registerWithHeaders(
  server: TestServer,
  email: string,
  headers: Record<string, string>,
): Promise<Registered> {
  const password = `correct horse ${randomUUID().slice(0, 8)}`;
  const response = await server.post(
    JSON.stringify({
      query:
        'mutation ($input: RegisterInput!) { register(input: $input) { __typename ... on AuthPayload { accessToken refreshToken user { id account username } } } }',
      variables: { input: { username: 'Mail User', email, password } },
    }),
    headers,
  );
  const result = (
    response.body.data as {
      register: {
        accessToken: string;
        refreshToken: string;
        user: { id: string; account: string; username: string };
      };
    }
  ).register;
  return {
    id: result.user.id,
    account: result.user.account,
    email,
    password,
    username: result.user.username,
    token: result.accessToken,
    refreshToken: result.refreshToken,
    sessionId: '',
  };
}

async function emailVerified(server: TestServer, token: string): Promise<boolean> {
  const { body } = await server.request(EmailVerifiedDocument, {}, bearer(token));
  const me = body.data?.me;
  if (me?.__typename !== 'User') throw new Error(`me failed: ${JSON.stringify(body)}`);
  return me.emailVerified;
}

async function verify(server: TestServer, token: string) {
  const { body } = await server.request(VerifyEmailDocument, { token });
  return { result: body.data!.verifyEmail, extensions: body.extensions };
}

async function requestReset(server: TestServer, email: string, headers?: Record<string, string>) {
  const { body } = await server.request(RequestPasswordResetDocument, { email }, headers);
  return body;
}

async function reset(server: TestServer, token: string, newPassword: string) {
  const { body } = await server.request(ResetPasswordDocument, { token, newPassword });
  return body.data!.resetPassword;
}

async function login(server: TestServer, email: string, password: string) {
  const { body } = await server.request(LoginDocument, { input: { email, password } });
  return body.data!.login;
}

/**
 * On a server hashing one password at a time (PASSWORD_HASH_CONCURRENCY=1): a user with a reset
 * link, and the reset sent and waiting in the line of hashes behind others (fillHashLine), so that
 * what is sent next hashes after it. Await `ahead` before the test ends.
 */
async function resetInLine(single: TestServer) {
  const user = await register(single);
  mailed(single, tokenIn(await inbox.next(user.email)));
  await requestReset(single, user.email);
  const token = mailed(single, tokenIn(await inbox.next(user.email, 1)));
  const ahead = await fillHashLine(single);
  const newPassword = `brand new ${randomUUID().slice(0, 8)}`;
  keep(single, newPassword);
  const { answer: resetting } = await inLine(() => reset(single, token, newPassword));
  return { user, token, newPassword, resetting, ahead };
}

/** An ADMIN_EMAIL admin of a server's own (a fresh address), and the settings that make it. */
function ownAdmin(password: string) {
  const email = `admin-${randomUUID().slice(0, 8)}@example.com`;
  return { email, password, env: { ADMIN_EMAIL: email, ADMIN_PASSWORD: password } };
}

/** A server with its own settings mailing to `inbox`, its log checked and closed afterwards. */
async function withServer(
  inbox: Inbox | null,
  env: Record<string, string>,
  run: (server: TestServer) => Promise<void>,
): Promise<void> {
  const server = await startServer({ ...(inbox ? { SMTP_URL: inbox.url } : {}), ...env });
  try {
    await run(server);
    await server.app.mail.idle();
    expectCleanMailLog(server);
  } finally {
    await server.close();
  }
}

let inbox: Inbox;
let server: TestServer;

beforeAll(async () => {
  inbox = await startInbox();
  server = await startServer({ SMTP_URL: inbox.url });
});

afterAll(async () => {
  try {
    await server.app.mail.idle();
    expectCleanMailLog(server);
  } finally {
    // Closed even when the log check fails, or Jest waits on the open servers forever.
    await server.close();
    await inbox.close();
  }
});

describe('email verification', () => {
  it('registration mails a link; following its token sets emailVerified', async () => {
    const user = await register(server);
    expect(await emailVerified(server, user.token)).toBe(false);

    const mail = await inbox.next(user.email);
    expect(mail.subject).toBe('Confirm your email address');
    expect(mail.html).toContain('<a href="https://app.example/verify-email?token=');
    const token = mailed(server, tokenIn(mail));
    expect(mail.text).toContain(`${APP_URL}/verify-email?token=${token}`);

    const { result, extensions } = await verify(server, token);
    expect(result).toMatchObject({ __typename: 'User', id: user.id, emailVerified: true });
    expect(extensions).toEqual({ infocode: 1000, info: 'OK' });
    expect(await emailVerified(server, user.token)).toBe(true);
  });

  it('a verification token works once: the second time it is 1010', async () => {
    const user = await register(server);
    const token = mailed(server, tokenIn(await inbox.next(user.email)));
    expect((await verify(server, token)).result.__typename).toBe('User');
    const again = await verify(server, token);
    expect(again.result).toMatchObject({ __typename: 'InvalidToken', infocode: 1010 });
    expect(again.extensions).toEqual({ infocode: 1010, info: 'INVALID_TOKEN_ERROR' });
  });

  it('a malformed or made-up token is 1010, never an error', async () => {
    for (const token of ['', 'x', 'A'.repeat(43), "' or 1=1 --", '\u0000'.repeat(43)]) {
      const { result } = await verify(server, token);
      expect(result).toMatchObject({ __typename: 'InvalidToken', infocode: 1010 });
    }
  });

  it('requestEmailVerification sends a new link and kills the one sent before', async () => {
    const user = await register(server);
    const first = mailed(server, tokenIn(await inbox.next(user.email)));
    const { body } = await server.request(RequestEmailVerificationDocument, {}, bearer(user.token));
    expect(body.data?.requestEmailVerification).toEqual({
      __typename: 'RequestAccepted',
      accepted: true,
    });
    const second = mailed(server, tokenIn(await inbox.next(user.email, 1)));
    expect(second).not.toBe(first);
    expect((await verify(server, first)).result).toMatchObject({ infocode: 1010 });
    expect((await verify(server, second)).result).toMatchObject({ emailVerified: true });
  });

  it('requestEmailVerification for a verified address sends nothing (accepted: false)', async () => {
    const user = await register(server);
    await verify(server, mailed(server, tokenIn(await inbox.next(user.email))));
    const { body } = await server.request(RequestEmailVerificationDocument, {}, bearer(user.token));
    expect(body.data?.requestEmailVerification).toEqual({
      __typename: 'RequestAccepted',
      accepted: false,
    });
    await server.app.mail.idle();
    expect(inbox.to(user.email)).toHaveLength(1);
  });

  it('requestEmailVerification needs a session: none is 1010', async () => {
    const { body } = await server.request(RequestEmailVerificationDocument, {});
    expect(body.data?.requestEmailVerification).toMatchObject({
      __typename: 'InvalidToken',
      infocode: 1010,
    });
  });

  it('mails speak the language of the request', async () => {
    const user = await register(server, { 'accept-language': 'zh-CN' });
    const mail = await inbox.next(user.email);
    expect(mail.subject).toBe('请验证您的邮箱地址');
    expect(mail.text).toContain('请在 1 天 内打开以下链接');
    mailed(server, tokenIn(mail));
  });

  it('an email change unverifies, mails a link to the new address and a notice to the old', async () => {
    const user = await register(server);
    const before = mailed(server, tokenIn(await inbox.next(user.email)));
    await verify(server, before);
    const newEmail = `changed-${randomUUID().slice(0, 8)}@example.com`;

    const { body } = await server.request(
      UpdateProfileDocument,
      { input: { email: newEmail, currentPassword: user.password } },
      bearer(user.token),
    );
    expect(body.data?.updateProfile).toMatchObject({ __typename: 'User', email: newEmail });
    expect(await emailVerified(server, user.token)).toBe(false);

    const notice = await inbox.next(user.email, 1);
    expect(notice.subject).toBe('Your email address was changed');
    expect(notice.text).toContain(user.email);
    expect(notice.text).toContain(newEmail);
    expect(notice.text).not.toMatch(/^[A-Za-z0-9_-]{43}$/m); // a notice carries no token

    const link = await inbox.next(newEmail);
    const token = mailed(server, tokenIn(link));
    expect((await verify(server, token)).result).toMatchObject({ emailVerified: true });
  });

  it('a link sent to an address the user no longer has is dead (1010)', async () => {
    const user = await register(server);
    const oldToken = mailed(server, tokenIn(await inbox.next(user.email)));
    const newEmail = `moved-${randomUUID().slice(0, 8)}@example.com`;
    await server.request(
      UpdateProfileDocument,
      { input: { email: newEmail, currentPassword: user.password } },
      bearer(user.token),
    );
    mailed(server, tokenIn(await inbox.next(newEmail)));
    expect((await verify(server, oldToken)).result).toMatchObject({ infocode: 1010 });
    expect(await emailVerified(server, user.token)).toBe(false);
  });

  it('a reset link stays dead when the address changes away and back', async () => {
    const user = await register(server);
    mailed(server, tokenIn(await inbox.next(user.email)));
    await requestReset(server, user.email);
    const token = mailed(server, tokenIn(await inbox.next(user.email, 1)));
    const away = `away-${randomUUID().slice(0, 8)}@example.com`;
    for (const email of [away, user.email]) {
      const { body } = await server.request(
        UpdateProfileDocument,
        { input: { email, currentPassword: user.password } },
        bearer(user.token),
      );
      expect(body.data?.updateProfile).toMatchObject({ __typename: 'User', email });
    }
    const newPassword = `brand new ${randomUUID().slice(0, 8)}`;
    keep(server, newPassword);
    expect(await reset(server, token, newPassword)).toMatchObject({ infocode: 1010 });
    const again = await login(server, user.email, user.password);
    expect(again.__typename).toBe('AuthPayload');
    if (again.__typename === 'AuthPayload') keep(server, again.accessToken, again.refreshToken);
  });

  it('an expired verification token is 1009', async () => {
    await withServer(inbox, { EMAIL_VERIFICATION_TTL: '1s' }, async (short) => {
      const user = await register(short);
      const token = mailed(short, tokenIn(await inbox.next(user.email)));
      await new Promise((wait) => setTimeout(wait, 1100));
      const { result, extensions } = await verify(short, token);
      expect(result).toMatchObject({ __typename: 'TokenExpired', infocode: 1009 });
      expect(extensions).toEqual({ infocode: 1009, info: 'TOKEN_EXPIRED_ERROR' });
    });
  });

  it('tokens are stored only as their SHA-256', async () => {
    const user = await register(server);
    const token = mailed(server, tokenIn(await inbox.next(user.email)));
    const rows = (await server.app.orm.em
      .fork()
      .getConnection()
      .execute<{ token_hash: string }[]>(
        'select * from email_tokens where user_id = ?',
        [user.id],
        'all',
      )) as { token_hash: string }[];
    expect(rows).toHaveLength(1);
    expect(rows[0]!.token_hash).toBe(sha256(token));
    expect(JSON.stringify(rows)).not.toContain(token);
  });
});

describe('password reset', () => {
  it('answers a known and an unknown address alike, and mails only the known one', async () => {
    const user = await register(server);
    mailed(server, tokenIn(await inbox.next(user.email))); // the verification mail
    const unknown = `nobody-${randomUUID().slice(0, 8)}@example.com`;

    const known = await requestReset(server, user.email);
    const stranger = await requestReset(server, unknown);
    expect(known).toEqual(stranger);
    expect(known).toEqual({
      data: { requestPasswordReset: { accepted: true } },
      extensions: { infocode: 1000, info: 'OK' },
    });

    const mail = await inbox.next(user.email, 1);
    expect(mail.subject).toBe('Reset your password');
    const token = mailed(server, tokenIn(mail));
    expect(mail.text).toContain(`${APP_URL}/reset-password?token=${token}`);
    await server.app.mail.idle();
    expect(inbox.to(unknown)).toEqual([]);
  });

  it('an invalid address is still accepted, and nothing is sent', async () => {
    const sent = inbox.received.length;
    for (const email of ['', 'not an address', 'a@b@c', 'x'.repeat(300)]) {
      expect((await requestReset(server, email)).data).toEqual({
        requestPasswordReset: { accepted: true },
      });
    }
    await server.app.mail.idle();
    expect(inbox.received.length).toBe(sent);
  });

  it('a link whose address changes while the new password hashes resets nothing and verifies nothing', async () => {
    const env = { ADMIN_EMAIL, ADMIN_PASSWORD, PASSWORD_HASH_CONCURRENCY: '1' };
    await withServer(inbox, env, async (single) => {
      const admin = await loginAdmin(single);
      keep(single, ADMIN_PASSWORD, admin.token);
      // The reset's hash waits in line while the address changes.
      const { user, token, newPassword, resetting, ahead } = await resetInLine(single);
      const moved = `moved-${randomUUID().slice(0, 8)}@example.com`;
      const { body } = await single.request(
        UpdateProfileDocument,
        { input: { email: moved }, userId: user.id },
        bearer(admin.token),
      );
      expect(body.data?.updateProfile.__typename).toBe('User');

      expect(await resetting).toMatchObject({ __typename: 'InvalidToken', infocode: 1010 });
      await Promise.all(ahead);
      expect(await emailVerified(single, user.token)).toBe(false); // the new address is unproven
      expect((await login(single, moved, user.password)).__typename).toBe('AuthPayload');
      expect((await login(single, moved, newPassword)).__typename).toBe('WrongPassword');
      // The link died with the address: mailed to the new one, a fresh one works.
      expect(await reset(single, token, newPassword)).toMatchObject({ infocode: 1010 });
    });
  });

  it('a login with the old password whose hash waits while the reset commits opens no session', async () => {
    await withServer(inbox, { PASSWORD_HASH_CONCURRENCY: '1' }, async (single) => {
      // One hash at a time, in line: the reset's first, then the login's with the old password.
      const { user, resetting, ahead } = await resetInLine(single);
      const stale = login(single, user.email, user.password);

      const done = await resetting;
      if (done.__typename !== 'AuthPayload') throw new Error(done.__typename);
      keep(single, done.accessToken, done.refreshToken);
      // In line behind the reset it is refused; had it hashed first (the line did not hold under
      // load), the reset ended its session. Either way only the reset's session is left.
      expect(['WrongPassword', 'AuthPayload']).toContain((await stale).__typename);
      await Promise.all(ahead);
      const { body } = await single.request(SessionsDocument, {}, bearer(done.accessToken));
      const sessions = body.data?.sessions;
      if (sessions?.__typename !== 'SessionList') throw new Error(JSON.stringify(body));
      expect(sessions.items).toHaveLength(1); // the reset's own; the old password opened none
    });
  });

  it('an email change proven by the old password whose hash waits while the reset commits changes nothing', async () => {
    await withServer(inbox, { PASSWORD_HASH_CONCURRENCY: '1' }, async (single) => {
      // One hash at a time, in line: the reset's first, then the email change's check.
      const { user, newPassword, resetting, ahead } = await resetInLine(single);
      const moved = `taken-over-${randomUUID().slice(0, 8)}@example.com`;
      const changing = single.request(
        UpdateProfileDocument,
        { input: { email: moved, currentPassword: user.password } },
        bearer(user.token),
      );

      const done = await resetting;
      const changed = (await changing).body.data?.updateProfile;
      await Promise.all(ahead);
      if (done.__typename !== 'AuthPayload') {
        // The change hashed first (the line did not hold under load): then the reset link,
        // mailed to the old address, is dead. Never both.
        expect(done).toMatchObject({ __typename: 'InvalidToken', infocode: 1010 });
        expect(changed?.__typename).toBe('User');
        return;
      }
      keep(single, done.accessToken, done.refreshToken);
      expect(changed).toMatchObject({ __typename: 'WrongPassword', infocode: 1008 });
      expect((await login(single, user.email, newPassword)).__typename).toBe('AuthPayload');
      expect((await login(single, moved, newPassword)).__typename).toBe('UserNotExist');
    });
  });

  it('resetting ends every session, gives a working pair, and swaps the passwords', async () => {
    const user = await register(server);
    mailed(server, tokenIn(await inbox.next(user.email)));
    const other = await login(server, user.email, user.password);
    if (other.__typename !== 'AuthPayload') throw new Error('login failed');
    keep(server, other.accessToken, other.refreshToken);

    await requestReset(server, user.email);
    const token = mailed(server, tokenIn(await inbox.next(user.email, 1)));
    const newPassword = `brand new ${randomUUID().slice(0, 8)}`;
    keep(server, newPassword);
    const result = await reset(server, token, newPassword);
    if (result.__typename !== 'AuthPayload') throw new Error(JSON.stringify(result));
    keep(server, result.accessToken, result.refreshToken);
    // Following a link mailed to the address proves the address too.
    expect(result.user).toMatchObject({ id: user.id, email: user.email });

    // Old sessions: access tokens and refresh tokens of both are 1010.
    for (const old of [user.token, other.accessToken]) {
      const { body } = await server.request(MeDocument, {}, bearer(old));
      expect(body.data?.me).toMatchObject({ __typename: 'InvalidToken', infocode: 1010 });
    }
    for (const old of [user.refreshToken, other.refreshToken]) {
      const { body } = await server.request(RefreshTokenDocument, { refreshToken: old });
      expect(body.data?.refreshToken).toMatchObject({ infocode: 1010 });
    }
    // The new pair works.
    const me = await server.request(MeDocument, {}, bearer(result.accessToken));
    expect(me.body.data?.me).toMatchObject({ __typename: 'User', id: user.id });
    const refreshed = await server.request(RefreshTokenDocument, {
      refreshToken: result.refreshToken,
    });
    expect(refreshed.body.data?.refreshToken.__typename).toBe('AuthPayload');
    if (refreshed.body.data?.refreshToken.__typename === 'AuthPayload') {
      keep(server, refreshed.body.data.refreshToken.refreshToken);
    }
    expect(await emailVerified(server, result.accessToken)).toBe(true);

    // The old password is 1008, the new one logs in.
    expect(await login(server, user.email, user.password)).toMatchObject({ infocode: 1008 });
    const fresh = await login(server, user.email, newPassword);
    expect(fresh.__typename).toBe('AuthPayload');
    if (fresh.__typename === 'AuthPayload') keep(server, fresh.accessToken, fresh.refreshToken);

    // The same token again: 1010.
    const again = await reset(server, token, `another one ${randomUUID().slice(0, 8)}`);
    expect(again).toMatchObject({ __typename: 'InvalidToken', infocode: 1010 });
  });

  it('a newer request kills the older token', async () => {
    const user = await register(server);
    mailed(server, tokenIn(await inbox.next(user.email)));
    await requestReset(server, user.email);
    const older = mailed(server, tokenIn(await inbox.next(user.email, 1)));
    await requestReset(server, user.email);
    const newer = mailed(server, tokenIn(await inbox.next(user.email, 2)));
    expect(await reset(server, older, 'a new password 1')).toMatchObject({ infocode: 1010 });
    expect((await reset(server, newer, 'a new password 2')).__typename).toBe('AuthPayload');
  });

  it('a new password that breaks the rules is 1003 and leaves the token usable', async () => {
    const user = await register(server);
    mailed(server, tokenIn(await inbox.next(user.email)));
    await requestReset(server, user.email);
    const token = mailed(server, tokenIn(await inbox.next(user.email, 1)));
    for (const weak of ['short', 'password123', user.email]) {
      const result = await reset(server, token, weak);
      expect(result).toMatchObject({
        __typename: 'InvalidInput',
        infocode: 1003,
        field: 'newPassword',
      });
    }
    expect(await reset(server, token, '')).toMatchObject({ infocode: 1001 });
    const result = await reset(server, token, 'finally a good one');
    expect(result.__typename).toBe('AuthPayload');
    if (result.__typename === 'AuthPayload') keep(server, result.accessToken, result.refreshToken);
  });

  it('an expired reset token is 1009', async () => {
    await withServer(inbox, { PASSWORD_RESET_TTL: '1s' }, async (short) => {
      const user = await register(short);
      mailed(short, tokenIn(await inbox.next(user.email)));
      await requestReset(short, user.email);
      const token = mailed(short, tokenIn(await inbox.next(user.email, 1)));
      await new Promise((wait) => setTimeout(wait, 1100));
      const result = await reset(short, token, 'too late for this');
      expect(result).toMatchObject({ __typename: 'TokenExpired', infocode: 1009 });
      // The password did not change.
      const still = await login(short, user.email, user.password);
      expect(still.__typename).toBe('AuthPayload');
      if (still.__typename === 'AuthPayload') keep(short, still.accessToken, still.refreshToken);
    });
  });

  it('one operation may not reset twice (aliases): 1022 before anything runs', async () => {
    const response = await server.post(
      JSON.stringify({
        query:
          'mutation { a: resetPassword(token: "x", newPassword: "one password") { __typename } b: resetPassword(token: "y", newPassword: "two password") { __typename } }',
      }),
    );
    expect(response.body.extensions).toEqual({ infocode: 1022, info: 'QUERY_TOO_COMPLEX' });
  });

  it('a reset lifts the wrong-password lock on the account', async () => {
    const env = { RATE_LIMIT: 'on', RATE_LIMIT_LOGIN_ACCOUNT: '2/15m' };
    await withServer(inbox, env, async (limited) => {
      const user = await register(limited);
      mailed(limited, tokenIn(await inbox.next(user.email)));
      for (let i = 0; i < 2; i++) await login(limited, user.email, `wrong guess ${i}`);
      expect(await login(limited, user.email, user.password)).toMatchObject({ infocode: 1020 });

      await requestReset(limited, user.email);
      const token = mailed(limited, tokenIn(await inbox.next(user.email, 1)));
      const newPassword = `after the lock ${randomUUID().slice(0, 8)}`;
      keep(limited, newPassword);
      const result = await reset(limited, token, newPassword);
      expect(result.__typename).toBe('AuthPayload');
      if (result.__typename === 'AuthPayload')
        keep(limited, result.accessToken, result.refreshToken);
      const back = await login(limited, user.email, newPassword);
      expect(back.__typename).toBe('AuthPayload');
      if (back.__typename === 'AuthPayload') keep(limited, back.accessToken, back.refreshToken);
    });
  });

  it('a deleted account takes its links with it: 1010', async () => {
    const user = await register(server);
    const verifyToken = mailed(server, tokenIn(await inbox.next(user.email)));
    await requestReset(server, user.email);
    const resetToken = mailed(server, tokenIn(await inbox.next(user.email, 1)));
    const { body } = await server.request(
      DeleteAccountDocument,
      { password: user.password },
      bearer(user.token),
    );
    expect(body.data?.deleteAccount.__typename).toBe('AccountDeleted');
    expect((await verify(server, verifyToken)).result).toMatchObject({ infocode: 1010 });
    expect(await reset(server, resetToken, 'no one to reset')).toMatchObject({ infocode: 1010 });
  });
});

describe('mail limits (RATE_LIMIT_MAIL)', () => {
  it('per address: over the limit the answer is the same and nothing is sent', async () => {
    const env = { RATE_LIMIT: 'on', RATE_LIMIT_MAIL: '3/1h', TRUST_PROXY: '1' };
    await withServer(inbox, env, async (limited) => {
      const user = await register(limited); // mail 1: verification
      mailed(limited, tokenIn(await inbox.next(user.email)));
      for (let i = 1; i <= 4; i++) {
        // Four more requests, from four client addresses: only two more mails fit under 3/1h.
        const body = await requestReset(limited, user.email, { 'x-forwarded-for': `10.0.0.${i}` });
        expect(body.data).toEqual({ requestPasswordReset: { accepted: true } });
      }
      await limited.app.mail.idle();
      const mails = inbox.to(user.email);
      expect(mails).toHaveLength(3);
      for (const mail of mails) mailed(limited, tokenIn(mail));
      // requestEmailVerification says so, since only the signed-in owner asks.
      const { body } = await limited.request(
        RequestEmailVerificationDocument,
        {},
        bearer(user.token),
      );
      expect(body.data?.requestEmailVerification).toMatchObject({
        __typename: 'TooManyRequests',
        infocode: 1020,
      });
      await limited.app.mail.idle();
      expect(inbox.to(user.email)).toHaveLength(3);
    });
  });

  it("a registration over its address's limit creates the account, with no link and no mail", async () => {
    await withServer(
      inbox,
      { RATE_LIMIT: 'on', RATE_LIMIT_MAIL: '1/1h', RATE_LIMIT_REGISTER_ADDRESS: '10/1h' },
      async (limited) => {
        const first = await register(limited); // the address's one mail
        mailed(limited, tokenIn(await inbox.next(first.email)));
        const { body: deleted } = await limited.request(
          DeleteAccountDocument,
          { password: first.password },
          bearer(first.token),
        );
        expect(deleted.data?.deleteAccount.__typename).toBe('AccountDeleted');

        const again = await registerUserWith(limited, first.email);
        expect(await emailVerified(limited, again.token)).toBe(false);
        expect((await login(limited, again.email, again.password)).__typename).toBe('AuthPayload');
        await limited.app.mail.idle();
        expect(inbox.to(first.email)).toHaveLength(1);
        // No token was stored for the new account: asking for one is over the limit too.
        const { body } = await limited.request(
          RequestEmailVerificationDocument,
          {},
          bearer(again.token),
        );
        expect(body.data?.requestEmailVerification).toMatchObject({ infocode: 1020 });
      },
    );
  });

  it('a registration refused for its taken email counts no mail to that address', async () => {
    const env = { RATE_LIMIT: 'on', RATE_LIMIT_MAIL: '2/1h', RATE_LIMIT_REGISTER_ADDRESS: '10/1h' };
    await withServer(inbox, env, async (limited) => {
      const user = await register(limited); // the address's first mail
      mailed(limited, tokenIn(await inbox.next(user.email)));
      const { body } = await limited.request(RegisterDocument, {
        input: { username: 'Second', email: user.email, password: 'a second password' },
      });
      expect(body.data!.register).toMatchObject({ infocode: 1012, info: 'MAILBOX_OCCUPIED' });
      // One mail is left for the address: the refused registration did not take it.
      for (let i = 0; i < 2; i++) {
        expect((await requestReset(limited, user.email)).data).toEqual({
          requestPasswordReset: { accepted: true },
        });
      }
      await limited.app.mail.idle();
      expect(inbox.to(user.email)).toHaveLength(2);
      mailed(limited, tokenIn(inbox.to(user.email)[1]!));
    });
  });

  it("a registration refused for its client's address counts no mail to its email", async () => {
    const env = {
      RATE_LIMIT: 'on',
      RATE_LIMIT_MAIL: '1/1h',
      RATE_LIMIT_REGISTER_ADDRESS: '1/1h',
      TRUST_PROXY: '1',
    };
    await withServer(inbox, env, async (limited) => {
      const first = await register(limited, { 'x-forwarded-for': '10.0.1.1' });
      mailed(limited, tokenIn(await inbox.next(first.email)));
      const email = `mail-${randomUUID().slice(0, 8)}@example.com`;
      const { body } = await limited.request(
        RegisterDocument,
        { input: { username: 'Refused', email, password: 'refused for its address' } },
        { 'x-forwarded-for': '10.0.1.1' },
      );
      expect(body.data!.register).toMatchObject({ __typename: 'TooManyRequests', infocode: 1020 });
      // From another address the same email registers, and its one mail is still there to send.
      const second = await registerUserWith(limited, email, { 'x-forwarded-for': '10.0.1.2' });
      mailed(limited, tokenIn(await inbox.next(second.email)));
    });
  });

  it('per client address: requests beyond the limit send nothing', async () => {
    await withServer(
      inbox,
      { RATE_LIMIT: 'on', RATE_LIMIT_MAIL: '2/1h', RATE_LIMIT_REGISTER_ADDRESS: '10/1h' },
      async (limited) => {
        const users = [await register(limited), await register(limited), await register(limited)];
        for (const user of users) mailed(limited, tokenIn(await inbox.next(user.email)));
        for (const user of users) {
          expect((await requestReset(limited, user.email)).data).toEqual({
            requestPasswordReset: { accepted: true },
          });
        }
        await limited.app.mail.idle();
        // One client address asked three times: the first two were mailed, the third was not.
        expect(users.map((user) => inbox.to(user.email).length)).toEqual([2, 2, 1]);
        for (const user of users.slice(0, 2)) mailed(limited, tokenIn(inbox.to(user.email)[1]!));
      },
    );
  });
});

describe('email change limits (RATE_LIMIT_MAIL)', () => {
  async function changeEmail(
    limited: TestServer,
    token: string,
    email: string,
    currentPassword: string | undefined,
    from: string,
    userId?: string,
  ) {
    const { body } = await limited.request(
      UpdateProfileDocument,
      { input: { email, currentPassword }, ...(userId ? { userId } : {}) },
      { ...bearer(token), 'x-forwarded-for': from },
    );
    return body.data!.updateProfile;
  }

  async function storedEmail(limited: TestServer, token: string): Promise<string | null> {
    const { body } = await limited.request(MeDocument, {}, bearer(token));
    const me = body.data?.me;
    if (me?.__typename !== 'User') throw new Error(`me failed: ${JSON.stringify(body)}`);
    return me.email ?? null;
  }

  it("the mails of an email change stop at each recipient's limit; the changes go on", async () => {
    const env = { RATE_LIMIT: 'on', RATE_LIMIT_MAIL: '3/1h', TRUST_PROXY: '1' };
    await withServer(inbox, env, async (limited) => {
      const user = await register(limited); // the first address's first mail
      mailed(limited, tokenIn(await inbox.next(user.email)));
      const other = `other-${randomUUID().slice(0, 8)}@example.com`;
      // Back and forth eight times, each from a client address of its own: only the recipients'
      // limits apply. Each change mails a link to the new address and a notice to the old one.
      for (let i = 1; i <= 8; i++) {
        const email = i % 2 === 1 ? other : user.email;
        const result = await changeEmail(limited, user.token, email, user.password, `10.0.2.${i}`);
        expect(result).toMatchObject({ __typename: 'User', email });
      }
      expect(await storedEmail(limited, user.token)).toBe(user.email);
      await limited.app.mail.idle();
      // In any order: mails are delivered side by side.
      const subjects = (address: string) =>
        inbox
          .to(address)
          .map((mail) => mail.subject)
          .sort();
      const link = 'Confirm your email address';
      const notice = 'Your email address was changed';
      // The first address: its registration's link, a notice (change 1), a link (change 2).
      expect(subjects(user.email)).toEqual([link, link, notice]);
      // The other: a link (change 1), a notice (change 2), a link (change 3).
      expect(subjects(other)).toEqual([link, link, notice]);
      for (const mail of [...inbox.to(user.email), ...inbox.to(other)]) {
        if (mail.subject === link) mailed(limited, tokenIn(mail));
      }
    });
  });

  it('the change beyond the limit from one client address is 1020 and changes nothing', async () => {
    const env = { RATE_LIMIT: 'on', RATE_LIMIT_MAIL: '5/1h', TRUST_PROXY: '1' };
    await withServer(inbox, env, async (limited) => {
      const user = await register(limited);
      const taken = await register(limited);
      mailed(limited, tokenIn(await inbox.next(user.email)));
      mailed(limited, tokenIn(await inbox.next(taken.email)));
      const fresh = () => `changed-${randomUUID().slice(0, 8)}@example.com`;
      let current = user.email;
      for (let i = 1; i <= 5; i++) {
        const email = fresh();
        const result = await changeEmail(limited, user.token, email, user.password, '10.0.3.1');
        expect(result).toMatchObject({ __typename: 'User', email });
        current = email;
      }
      // The sixth is refused before anything is checked: with the right password, a wrong one,
      // or an address another account has (no 1008, no 1012 to learn from).
      const refused = fresh();
      for (const [email, password] of [
        [refused, user.password],
        [refused, 'not the password'],
        [taken.email, user.password],
      ] as const) {
        const result = await changeEmail(limited, user.token, email, password, '10.0.3.1');
        expect(result).toMatchObject({ __typename: 'TooManyRequests', infocode: 1020 });
        const { retryAfter } = result as { retryAfter: number };
        expect(retryAfter).toBeGreaterThan(0);
        expect(retryAfter).toBeLessThanOrEqual(3600);
      }
      expect(await storedEmail(limited, user.token)).toBe(current);
      await limited.app.mail.idle();
      expect(inbox.to(refused)).toEqual([]);
      expect(inbox.to(current).map((mail) => mail.subject)).toEqual(['Confirm your email address']);
      for (const mail of inbox.received) {
        if (mail.subject === 'Confirm your email address') mailed(limited, tokenIn(mail));
      }
      // From another client address the change still goes through.
      const email = fresh();
      const result = await changeEmail(limited, user.token, email, user.password, '10.0.3.2');
      expect(result).toMatchObject({ __typename: 'User', email });
      mailed(limited, tokenIn(await inbox.next(email)));
    });
  });

  it("an admin's changes to other users' emails count against the admin's address too", async () => {
    const admin = ownAdmin('admin pw 42');
    const env = { RATE_LIMIT: 'on', RATE_LIMIT_MAIL: '1/1h', TRUST_PROXY: '1', ...admin.env };
    await withServer(inbox, env, async (limited) => {
      keep(limited, admin.password);
      const signedIn = await login(limited, admin.email, admin.password);
      if (signedIn.__typename !== 'AuthPayload') throw new Error('admin login failed');
      keep(limited, signedIn.accessToken, signedIn.refreshToken);
      const user = await register(limited);
      mailed(limited, tokenIn(await inbox.next(user.email)));
      const first = `first-${randomUUID().slice(0, 8)}@example.com`;
      expect(
        await changeEmail(limited, signedIn.accessToken, first, undefined, '10.0.4.1', user.id),
      ).toMatchObject({ __typename: 'User', email: first });
      mailed(limited, tokenIn(await inbox.next(first)));
      const second = `second-${randomUUID().slice(0, 8)}@example.com`;
      expect(
        await changeEmail(limited, signedIn.accessToken, second, undefined, '10.0.4.1', user.id),
      ).toMatchObject({ __typename: 'TooManyRequests', infocode: 1020 });
      expect(await storedEmail(limited, user.token)).toBe(first);
    });
  });
});

describe('a rate-limit store that fails (REDIS_URL at a closed port)', () => {
  it('requestPasswordReset still answers accepted: true, sends nothing, logs no address', async () => {
    // The account exists from start-up: registering needs a counter, and none can count.
    const admin = ownAdmin('admin pw 42');
    const unknown = `unknown-${randomUUID().slice(0, 8)}@example.com`;
    const broken = await startServer({
      SMTP_URL: inbox.url,
      RATE_LIMIT: 'on',
      REDIS_URL: 'redis://127.0.0.1:1',
      ...admin.env,
    });
    try {
      keep(broken, admin.password);
      for (const email of [admin.email, unknown]) {
        const body = await requestReset(broken, email);
        expect(body.data).toEqual({ requestPasswordReset: { accepted: true } });
        expect(body.extensions).toEqual({ infocode: 1000, info: 'OK' });
      }
      await broken.app.mail.idle();
      expect(inbox.to(admin.email)).toEqual([]);
      expect(inbox.to(unknown)).toEqual([]);
      const failures = broken.logs.filter((line) => Number(line.level) >= 50);
      expect(failures.map((line) => line.msg)).toEqual([
        'requestPasswordReset: could not count the request; nothing sent',
        'requestPasswordReset: could not count the request; nothing sent',
      ]);
      expect(broken.logText()).not.toContain(admin.email.split('@')[0]);
      expect(broken.logText()).not.toContain(unknown.split('@')[0]);
      expectCleanMailLog(broken, true);
    } finally {
      await broken.close();
    }
  });
});

describe('REQUIRE_EMAIL_VERIFICATION=true', () => {
  it('login is 1024 until the address is verified, then succeeds', async () => {
    await withServer(inbox, { REQUIRE_EMAIL_VERIFICATION: 'true' }, async (strict) => {
      const user = await register(strict);
      const first = mailed(strict, tokenIn(await inbox.next(user.email)));

      const refused = await strict.request(LoginDocument, {
        input: { email: user.email, password: user.password },
      });
      expect(refused.body.data?.login).toMatchObject({
        __typename: 'EmailNotVerified',
        infocode: 1024,
        info: 'EMAIL_NOT_VERIFIED',
      });
      expect(refused.body.extensions).toEqual({ infocode: 1024, info: 'EMAIL_NOT_VERIFIED' });
      // A wrong password is still only a wrong password: 1024 is no oracle for strangers.
      expect(await login(strict, user.email, 'not the password')).toMatchObject({
        infocode: 1008,
      });

      // The refused login mailed a fresh link; the one from registration no longer works.
      const token = mailed(strict, tokenIn(await inbox.next(user.email, 1)));
      expect((await verify(strict, first)).result).toMatchObject({ infocode: 1010 });
      expect((await verify(strict, token)).result).toMatchObject({ emailVerified: true });
      const allowed = await login(strict, user.email, user.password);
      expect(allowed.__typename).toBe('AuthPayload');
      if (allowed.__typename === 'AuthPayload') keep(strict, allowed.accessToken);
    });
  });
});

describe('ADMIN_EMAIL', () => {
  it('counts as verified: the admin logs in even with REQUIRE_EMAIL_VERIFICATION=true', async () => {
    const admin = ownAdmin('admin pass 1234');
    const env = { REQUIRE_EMAIL_VERIFICATION: 'true', ...admin.env };
    await withServer(inbox, env, async (strict) => {
      keep(strict, admin.password);
      const result = await login(strict, admin.email, admin.password);
      expect(result.__typename).toBe('AuthPayload');
      if (result.__typename !== 'AuthPayload') return;
      keep(strict, result.accessToken, result.refreshToken);
      expect(await emailVerified(strict, result.accessToken)).toBe(true);
      await strict.app.mail.idle();
      expect(inbox.to(admin.email)).toEqual([]); // no mail for an address the operator vouched for
    });
  });
});

describe('delivery', () => {
  it('MAIL_FROM, a display name in any script, is the From and the SMTP sender of every mail', async () => {
    const from = { name: '账户服务 Accounts', address: 'no-reply@accounts.example' };
    await withServer(inbox, { MAIL_FROM: `${from.name} <${from.address}>` }, async (local) => {
      const before = Date.now();
      const user = await register(local, { 'accept-language': 'zh' });
      const mail = await inbox.next(user.email);
      mailed(local, tokenIn(mail));
      expect(mail.from?.value).toEqual([from]);
      expect(mail.subject).toBe('请验证您的邮箱地址');
      expect(mail.messageId).toMatch(/^<[^@<>\s]+@accounts\.example>$/);
      expect(mail.date!.getTime()).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
      const { from: sender, to, source } = inbox.delivery(mail);
      expect({ sender, to }).toEqual({ sender: from.address, to: [user.email] });
      // RFC 5322: lines end in CRLF and stay within 78 characters.
      const lines = source.split('\r\n');
      expect(lines.filter((line) => line.includes('\n') || line.length > 78)).toEqual([]);
    });
  });

  it('without SMTP_URL each mail is an .eml file in MAIL_OUTBOX, named in the log', async () => {
    await withServer(null, {}, async (local) => {
      const user = await register(local);
      await local.app.mail.idle();
      const outbox = local.config.mail.outbox;
      const files = readdirSync(outbox).filter((name) => name.endsWith('.eml'));
      expect(files).toHaveLength(1);
      const file = join(outbox, files[0]!);
      const mail = await simpleParser(readFileSync(file));
      expect(mail.to).toMatchObject({ value: [{ address: user.email }] });
      const token = mailed(local, tokenIn(mail));
      expect(local.logs).toContainEqual(
        expect.objectContaining({ kind: 'verifyEmail', file, url: `file://${file}`, level: 30 }),
      );
      expect((await verify(local, token)).result).toMatchObject({ emailVerified: true });
    });
  });

  it('an outbox folder removed while the server runs is made again for the next mail', async () => {
    await withServer(null, {}, async (local) => {
      await register(local);
      await local.app.mail.idle();
      const outbox = local.config.mail.outbox;
      rmSync(outbox, { recursive: true });
      const user = await register(local);
      await local.app.mail.idle();
      const files = readdirSync(outbox).filter((name) => name.endsWith('.eml'));
      expect(files).toHaveLength(1);
      const mail = await simpleParser(readFileSync(join(outbox, files[0]!)));
      expect(mail.to).toMatchObject({ value: [{ address: user.email }] });
      expect(statSync(outbox).mode & 0o777).toBe(0o700);
    });
  });

  it('a refused delivery is logged without the token and tried again', async () => {
    await server.app.mail.idle(); // so the refusal meets this test's mail
    inbox.refuseNext(1);
    const refusedBefore = inbox.refused;
    const user = await register(server); // answered at once, whatever the SMTP server says
    const mail = await inbox.next(user.email, 0, 15_000);
    mailed(server, tokenIn(mail));
    expect(inbox.refused).toBe(refusedBefore + 1);
    expect(server.logs).toContainEqual(
      expect.objectContaining({
        kind: 'verifyEmail',
        attempt: 1,
        msg: 'mail not delivered: will retry',
        err: expect.objectContaining({ responseCode: 451, command: 'RCPT TO' }) as unknown,
      }),
    );
    // The server's answer quoted the address; the log says what failed without it.
    expect(server.logText()).not.toContain(user.email);
  }, 20_000);

  it('a mail refused after its text arrived is sent again as the same message', async () => {
    await server.app.mail.idle();
    inbox.refuseNextData(1);
    const user = await register(server);
    const mail = await inbox.next(user.email, 0, 15_000);
    const refused = inbox.refusedTexts.at(-1)!;
    const delivered = inbox.delivery(mail).source;
    const header = (name: string, text: string) =>
      new RegExp(`^${name}: (.*)$`, 'im').exec(text)?.[1]?.trim();
    // One Message-ID (and Date) for both attempts: a receiver that kept the first can drop the
    // second as a copy. Composed anew, the retry would be a second mail with its own ID.
    expect(header('Message-ID', delivered)).toBe(header('Message-ID', refused));
    expect(mail.messageId).toBe(header('Message-ID', refused));
    expect(header('Date', delivered)).toBe(header('Date', refused));
    // The text is the same too: the link in it still works.
    expect(delivered).toBe(refused);
    mailed(server, tokenIn(mail));
  }, 20_000);

  it('with no SMTP server at all, registration still answers at once and the failure is logged', async () => {
    const gone = await startInbox();
    await gone.close();
    const broken = await startServer({ SMTP_URL: gone.url });
    try {
      const started = Date.now();
      const user = await register(broken);
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(await emailVerified(broken, user.token)).toBe(false);
      await eventually(() => broken.logText().includes('mail not delivered'));
      expect(broken.logs).toContainEqual(
        expect.objectContaining({
          kind: 'verifyEmail',
          msg: 'mail not delivered: will retry',
          // What went wrong, in the error's own class and words.
          err: expect.objectContaining({
            type: 'Error',
            code: 'ESOCKET',
            message: expect.stringContaining('ECONNREFUSED') as unknown,
          }) as unknown,
        }),
      );
    } finally {
      await broken.close(); // the retry still waiting gets its last try now, and is given up on
    }
    expect(broken.logs).toContainEqual(
      expect.objectContaining({ kind: 'verifyEmail', msg: 'mail not delivered: giving up' }),
    );
    expectCleanMailLog(broken, true); // giving up is logged as an error
  });
});
