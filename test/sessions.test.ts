import { createHash, randomBytes, randomUUID } from 'node:crypto';
import {
  ChangePasswordDocument,
  DeleteAccountDocument,
  LoginDocument,
  LogoutDocument,
  MeDocument,
  RefreshTokenDocument,
  RegisterDocument,
  RevokeSessionDocument,
  SessionsDocument,
  type SessionFragment,
  type SessionsQuery,
} from './generated/graphql';
import { registerUser, sessionIdOf, type Registered } from './support/accounts';
import { expectCleanLog, keep } from './support/log-secrets';
import { bearer, startServer, type TestServer } from './support/server';

const DAY = 24 * 3600;
const REUSE_LOG = 'refresh token reused: session ended';

/** A refresh token, its secret and the hash the server stores of it. */
function refreshSecrets(refreshToken: string): string[] {
  const secret = refreshToken.slice(refreshToken.indexOf('.') + 1);
  return [refreshToken, secret, createHash('sha256').update(secret).digest('base64url')];
}

/** A server with its own settings, closed afterwards; its log is checked like the main one. */
async function withServer(
  env: Record<string, string>,
  run: (server: TestServer) => Promise<void>,
): Promise<void> {
  const server = await startServer(env);
  try {
    await run(server);
    expectCleanLog(server);
  } finally {
    await server.close();
  }
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------
// Requests, as a client makes them.

/** What a client keeps of one session: its latest tokens. */
interface Pair {
  accessToken: string;
  refreshToken: string;
  sessionId: string;
  userId: string;
}

/** A pair as the server hands it out, with its refresh token's lifetime. */
type Issued = Pair & { refreshExpiresIn: number };

async function signUp(server: TestServer): Promise<Registered> {
  const user = await registerUser(server);
  keep(server, user.password, user.token, ...refreshSecrets(user.refreshToken));
  return user;
}

/** The pair an AuthPayload carries; anything else fails the test with what came instead. */
function pairOf(server: TestServer, result: { __typename: string }): Issued {
  if (result.__typename !== 'AuthPayload') {
    throw new Error(`expected AuthPayload, got ${JSON.stringify(result)}`);
  }
  const payload = result as SessionFragment & { __typename: 'AuthPayload' };
  keep(server, payload.accessToken, ...refreshSecrets(payload.refreshToken));
  expect(payload.tokenType).toBe('Bearer');
  return {
    accessToken: payload.accessToken,
    refreshToken: payload.refreshToken,
    refreshExpiresIn: payload.refreshExpiresIn,
    sessionId: sessionIdOf(payload.accessToken),
    userId: payload.user.id,
  };
}

/** The registration's own session as a pair. */
const firstPair = (user: Registered): Pair => ({
  accessToken: user.token,
  refreshToken: user.refreshToken,
  sessionId: user.sessionId,
  userId: user.id,
});

async function login(
  server: TestServer,
  user: Registered,
  password = user.password,
  headers?: Record<string, string>,
) {
  keep(server, password);
  const { body } = await server.request(
    LoginDocument,
    { input: { account: user.account, password } },
    headers,
  );
  expect(body.errors).toBeUndefined();
  return body.data!.login;
}

/** Another device of the user: a new session by login. */
async function newSession(
  server: TestServer,
  user: Registered,
  headers?: Record<string, string>,
): Promise<Issued> {
  return pairOf(server, await login(server, user, user.password, headers));
}

async function refresh(server: TestServer, refreshToken: string) {
  const response = await server.request(RefreshTokenDocument, { refreshToken });
  expect(response.status).toBe(200);
  expect(response.body.errors).toBeUndefined();
  return response.body.data!.refreshToken;
}

async function rotate(server: TestServer, refreshToken: string): Promise<Issued> {
  return pairOf(server, await refresh(server, refreshToken));
}

async function me(server: TestServer, accessToken: string) {
  const { body } = await server.request(MeDocument, {}, bearer(accessToken));
  expect(body.errors).toBeUndefined();
  return body.data!.me;
}

async function logout(server: TestServer, accessToken?: string, allSessions?: boolean) {
  const { body } = await server.request(
    LogoutDocument,
    allSessions === undefined ? {} : { allSessions },
    accessToken === undefined ? {} : bearer(accessToken),
  );
  expect(body.errors).toBeUndefined();
  return body.data!.logout;
}

async function revokeSession(server: TestServer, accessToken: string, id: string) {
  const { body } = await server.request(RevokeSessionDocument, { id }, bearer(accessToken));
  expect(body.errors).toBeUndefined();
  return body.data!.revokeSession;
}

type SessionItem = Extract<SessionsQuery['sessions'], { __typename: 'SessionList' }>['items'][0];

async function sessions(
  server: TestServer,
  accessToken: string,
  headers: Record<string, string> = {},
): Promise<SessionItem[]> {
  const { body } = await server.request(
    SessionsDocument,
    {},
    {
      ...headers,
      ...bearer(accessToken),
    },
  );
  expect(body.errors).toBeUndefined();
  const result = body.data!.sessions;
  if (result.__typename !== 'SessionList') throw new Error(JSON.stringify(result));
  return result.items;
}

async function changePassword(
  server: TestServer,
  accessToken: string,
  currentPassword: string,
  newPassword: string,
) {
  keep(server, currentPassword, newPassword);
  const { body } = await server.request(
    ChangePasswordDocument,
    { currentPassword, newPassword },
    bearer(accessToken),
  );
  expect(body.errors).toBeUndefined();
  return body.data!.changePassword;
}

async function deleteAccount(server: TestServer, accessToken: string, password: string) {
  keep(server, password);
  const { body } = await server.request(DeleteAccountDocument, { password }, bearer(accessToken));
  expect(body.errors).toBeUndefined();
  return body.data!.deleteAccount;
}

const invalidToken = { __typename: 'InvalidToken', infocode: 1010, info: 'INVALID_TOKEN_ERROR' };
const tokenExpired = { __typename: 'TokenExpired', infocode: 1009, info: 'TOKEN_EXPIRED_ERROR' };
const userNotExist = { __typename: 'UserNotExist', infocode: 1016, info: 'USER_NOT_EXIST' };
const wrongPassword = { __typename: 'WrongPassword', infocode: 1008, info: 'WRONG_PASSWORD' };
const signedIn = (user: { id: string }) => ({ __typename: 'User', id: user.id });

/** Every access and refresh token of the session is dead. */
async function expectSessionEnded(server: TestServer, ...pairs: Pair[]): Promise<void> {
  for (const pair of pairs) {
    expect(await me(server, pair.accessToken)).toMatchObject(invalidToken);
  }
  expect(await refresh(server, pairs.at(-1)!.refreshToken)).toMatchObject(invalidToken);
}

/** The session's latest pair still works: its access token signs in and its refresh token rotates. */
async function expectSessionLive(server: TestServer, pair: Pair): Promise<Pair> {
  expect(await me(server, pair.accessToken)).toMatchObject(signedIn({ id: pair.userId }));
  const next = await rotate(server, pair.refreshToken);
  expect(next.sessionId).toBe(pair.sessionId);
  return next;
}

// ---------------------------------------------------------------------------------------------

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.close());

describe('refreshToken rotates the pair', () => {
  it('returns a new access token and a new refresh token of the same session, and the new access token works', async () => {
    const user = await signUp(server);
    const next = await rotate(server, user.refreshToken);
    expect(next.accessToken).not.toBe(user.token);
    expect(next.refreshToken).not.toBe(user.refreshToken);
    expect(next.sessionId).toBe(user.sessionId);
    expect(next.userId).toBe(user.id);
    expect(await me(server, next.accessToken)).toMatchObject(signedIn(user));
  });

  it('answers with OK in the envelope', async () => {
    const user = await signUp(server);
    const { body } = await server.request(RefreshTokenDocument, {
      refreshToken: user.refreshToken,
    });
    pairOf(server, body.data!.refreshToken);
    expect(body.extensions).toEqual({ infocode: 1000, info: 'OK' });
  });

  it('gives refreshExpiresIn = REFRESH_TOKEN_TTL in seconds, 30 days by default', async () => {
    const user = await signUp(server);
    expect((await rotate(server, user.refreshToken)).refreshExpiresIn).toBe(30 * DAY);
    expect((await newSession(server, user)).refreshExpiresIn).toBe(30 * DAY);
  });

  it('gives refreshExpiresIn 3600 with REFRESH_TOKEN_TTL=1h, at login and at refresh', async () => {
    await withServer({ REFRESH_TOKEN_TTL: '1h' }, async (custom) => {
      const user = await signUp(custom);
      const opened = await newSession(custom, user);
      expect(opened.refreshExpiresIn).toBe(3600);
      expect((await rotate(custom, opened.refreshToken)).refreshExpiresIn).toBe(3600);
    });
  });
});

describe('concurrent refreshes of one token (REFRESH_TOKEN_REUSE_INTERVAL, default 10s)', () => {
  it('20 at once all succeed with one identical successor refresh token', async () => {
    const user = await signUp(server);
    const results = await Promise.all(
      Array.from({ length: 20 }, () => refresh(server, user.refreshToken)),
    );
    const pairs = results.map((result) => pairOf(server, result));
    const successors = new Set(pairs.map((pair) => pair.refreshToken));
    expect(successors.size).toBe(1);
    expect(successors.has(user.refreshToken)).toBe(false);
    for (const pair of pairs) expect(pair.sessionId).toBe(user.sessionId);
    for (const pair of pairs.slice(0, 3)) {
      expect(await me(server, pair.accessToken)).toMatchObject(signedIn(user));
    }
  });

  it('the shared successor then rotates normally, and the session lives on', async () => {
    const user = await signUp(server);
    const [first] = await Promise.all(
      Array.from({ length: 20 }, () => rotate(server, user.refreshToken)),
    );
    const third = await expectSessionLive(server, await expectSessionLive(server, first!));
    expect(await me(server, third.accessToken)).toMatchObject(signedIn(user));
  });

  it('a retired token presented again within the interval, its successor unused, gets exactly that successor', async () => {
    const user = await signUp(server);
    const next = await rotate(server, user.refreshToken);
    const again = await rotate(server, user.refreshToken);
    expect(again.refreshToken).toBe(next.refreshToken);
    expect(again.accessToken).not.toBe(next.accessToken);
    expect(await me(server, again.accessToken)).toMatchObject(signedIn(user));
    await expectSessionLive(server, again);
  });
});

describe('reuse of a retired refresh token ends the session', () => {
  it('a retired token whose successor was already used is 1010', async () => {
    const user = await signUp(server);
    const second = await rotate(server, user.refreshToken);
    await rotate(server, second.refreshToken);
    const { body } = await server.request(RefreshTokenDocument, {
      refreshToken: user.refreshToken,
    });
    expect(body.errors).toBeUndefined();
    expect(body.data!.refreshToken).toMatchObject(invalidToken);
    expect(body.extensions).toEqual({ infocode: 1010, info: 'INVALID_TOKEN_ERROR' });
  });

  it("then every access token of the session, old and new, is 1010 from the next request, and so is the successor's refresh token", async () => {
    const user = await signUp(server);
    const second = await rotate(server, user.refreshToken);
    const third = await rotate(server, second.refreshToken);
    expect(await me(server, third.accessToken)).toMatchObject(signedIn(user));
    expect(await refresh(server, user.refreshToken)).toMatchObject(invalidToken);
    await expectSessionEnded(server, firstPair(user), second, third);
  });

  it('leaves the same user’s other sessions untouched', async () => {
    const user = await signUp(server);
    const otherDevice = await newSession(server, user);
    const second = await rotate(server, user.refreshToken);
    await rotate(server, second.refreshToken);
    expect(await refresh(server, user.refreshToken)).toMatchObject(invalidToken);
    await expectSessionLive(server, otherDevice);
  });

  it('a token several generations old is reuse too', async () => {
    const user = await signUp(server);
    let pair = firstPair(user);
    const chain = [pair];
    for (let i = 0; i < 4; i++) chain.push((pair = await rotate(server, pair.refreshToken)));
    expect(await refresh(server, chain[1]!.refreshToken)).toMatchObject(invalidToken);
    await expectSessionEnded(server, ...chain);
  });

  it('following a chain back counts as a login attempt from the address; over the limit it is not followed', async () => {
    const env = { RATE_LIMIT: 'on', RATE_LIMIT_LOGIN_ADDRESS: '2/15m' };
    await withServer(env, async (limited) => {
      const user = await signUp(limited);
      const second = await rotate(limited, user.refreshToken);
      const third = await rotate(limited, second.refreshToken);
      // Two forgeries: each walks the chain and is counted.
      for (let i = 0; i < 2; i++) {
        const forged = `${user.sessionId}.${randomBytes(32).toString('base64url')}`;
        expect(await refresh(limited, forged)).toMatchObject(invalidToken);
      }
      // The address is at its limit: a retired token is not followed back, so it ends nothing...
      expect(await refresh(limited, user.refreshToken)).toMatchObject(invalidToken);
      expect(await me(limited, third.accessToken)).toMatchObject(signedIn(user));
      // ...and the address's logins wait too: the walks were counted as theirs.
      const { body } = await limited.request(LoginDocument, {
        input: { account: user.account, password: user.password },
      });
      expect(body.data?.login).toMatchObject({ __typename: 'TooManyRequests', infocode: 1020 });
    });
  });

  it('after the interval (REFRESH_TOKEN_REUSE_INTERVAL=1s) even a token with an unused successor is reuse', async () => {
    await withServer({ REFRESH_TOKEN_REUSE_INTERVAL: '1s' }, async (strict) => {
      const user = await signUp(strict);
      const next = await rotate(strict, user.refreshToken);
      await pause(1100);
      expect(await refresh(strict, user.refreshToken)).toMatchObject(invalidToken);
      await expectSessionEnded(strict, firstPair(user), next);
    });
  });

  it('is logged as a warning with the request id and address, carrying no token', async () => {
    const user = await signUp(server);
    const second = await rotate(server, user.refreshToken);
    await rotate(server, second.refreshToken);
    const before = server.logs.filter((line) => line.msg === REUSE_LOG).length;
    expect(await refresh(server, user.refreshToken)).toMatchObject(invalidToken);
    const lines = server.logs.filter((line) => line.msg === REUSE_LOG);
    expect(lines).toHaveLength(before + 1);
    const line = lines.at(-1)!;
    expect(line).toMatchObject({ level: 40, address: '127.0.0.1' });
    expect(typeof line.requestId).toBe('string');
    const text = JSON.stringify(line);
    for (const secret of [...refreshSecrets(user.refreshToken), user.token]) {
      expect(text).not.toContain(secret);
    }
  });
});

describe('REFRESH_TOKEN_REUSE_INTERVAL=0 is strict single use', () => {
  let strict: TestServer;
  beforeAll(async () => {
    strict = await startServer({ REFRESH_TOKEN_REUSE_INTERVAL: '0' });
  });
  afterAll(async () => {
    expectCleanLog(strict);
    await strict.close();
  });

  it('20 concurrent refreshes of one token give at most one AuthPayload and 1010 for the rest, never 1023 or errors', async () => {
    const user = await signUp(strict);
    const responses = await Promise.all(
      Array.from({ length: 20 }, () =>
        strict.request(RefreshTokenDocument, { refreshToken: user.refreshToken }),
      ),
    );
    for (const { status, body } of responses) {
      expect(status).toBe(200);
      expect(body.errors).toBeUndefined();
      expect(body.extensions.infocode).not.toBe(1023);
    }
    const results = responses.map(({ body }) => body.data!.refreshToken);
    const winners = results.filter((result) => result.__typename === 'AuthPayload');
    expect(winners.length).toBeLessThanOrEqual(1);
    winners.forEach((winner) => pairOf(strict, winner));
    for (const result of results.filter((result) => result.__typename !== 'AuthPayload')) {
      expect(result).toMatchObject(invalidToken);
    }
  });

  it('presenting a retired token again, even at once, is 1010 and ends the session', async () => {
    const user = await signUp(strict);
    const next = await rotate(strict, user.refreshToken);
    expect(await refresh(strict, user.refreshToken)).toMatchObject(invalidToken);
    await expectSessionEnded(strict, firstPair(user), next);
  });
});

describe('refresh tokens that were never issued', () => {
  it('a forged token with a real session id and a random secret is 1010 and does not end the session', async () => {
    const user = await signUp(server);
    const forged = `${user.sessionId}.${randomBytes(32).toString('base64url')}`;
    expect(await refresh(server, forged)).toMatchObject(invalidToken);
    await expectSessionLive(server, firstPair(user));
  });

  it('a forged token for a rotated session does not end it either', async () => {
    const user = await signUp(server);
    const next = await rotate(server, user.refreshToken);
    const forged = `${user.sessionId}.${randomBytes(32).toString('base64url')}`;
    expect(await refresh(server, forged)).toMatchObject(invalidToken);
    await expectSessionLive(server, next);
  });

  it.each([
    ['an empty string', ''],
    ['garbage', 'garbage'],
    ['a dot only', '.'],
    ['an unknown session id', `${randomUUID()}.${randomBytes(32).toString('base64url')}`],
    ['a session id that is not a UUID', `not-a-uuid.${randomBytes(32).toString('base64url')}`],
    ['a secret of the wrong length', `${randomUUID()}.${randomBytes(16).toString('base64url')}`],
    ['10,000 characters', 'x'.repeat(10_000)],
    ['control characters', '\u0000\u202e.\u0007'],
  ])('%s is 1010, never 1023', async (_name, refreshToken) => {
    const { status, body } = await server.request(RefreshTokenDocument, { refreshToken });
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    expect(body.data!.refreshToken).toMatchObject(invalidToken);
    expect(body.extensions).toEqual({ infocode: 1010, info: 'INVALID_TOKEN_ERROR' });
  });

  it('an access token (a JWT) presented as a refresh token is 1010, and the session lives on', async () => {
    const user = await signUp(server);
    expect(await refresh(server, user.token)).toMatchObject(invalidToken);
    await expectSessionLive(server, firstPair(user));
  });
});

describe('sessions past REFRESH_TOKEN_TTL (1s)', () => {
  let expiring: TestServer;
  let users: Registered[];
  beforeAll(async () => {
    expiring = await startServer({ REFRESH_TOKEN_TTL: '1s' });
    users = [await signUp(expiring), await signUp(expiring), await signUp(expiring)];
    await pause(1100);
  });
  afterAll(async () => {
    expectCleanLog(expiring);
    await expiring.close();
  });

  it('an expired refresh token is TokenExpired (1009)', async () => {
    const { body } = await expiring.request(RefreshTokenDocument, {
      refreshToken: users[0]!.refreshToken,
    });
    expect(body.errors).toBeUndefined();
    expect(body.data!.refreshToken).toMatchObject(tokenExpired);
    expect(body.extensions).toEqual({ infocode: 1009, info: 'TOKEN_EXPIRED_ERROR' });
  });

  it('an expired session is no longer listed, and revoking it revokes nothing (0)', async () => {
    const user = users[1]!;
    const fresh = await newSession(expiring, user);
    const listed = await sessions(expiring, fresh.accessToken);
    expect(listed.map((session) => session.id)).toEqual([fresh.sessionId]);
    expect(await revokeSession(expiring, fresh.accessToken, user.sessionId)).toEqual({
      __typename: 'LogoutSuccess',
      revokedSessions: 0,
    });
  });

  it('logout(allSessions: true) counts only the sessions that were live', async () => {
    const user = users[2]!;
    const fresh = await newSession(expiring, user);
    expect(await logout(expiring, fresh.accessToken, true)).toEqual({
      __typename: 'LogoutSuccess',
      revokedSessions: 1,
    });
  });
});

describe('logout', () => {
  it("ends only the caller's session (revokedSessions 1); the other device's tokens still work", async () => {
    const user = await signUp(server);
    const otherDevice = await newSession(server, user);
    expect(await logout(server, user.token)).toEqual({
      __typename: 'LogoutSuccess',
      revokedSessions: 1,
    });
    await expectSessionEnded(server, firstPair(user));
    await expectSessionLive(server, otherDevice);
  });

  it('allSessions: true ends every session of the user, revokedSessions counting them, and every access token is then 1010', async () => {
    const user = await signUp(server);
    const rotated = await rotate(server, user.refreshToken);
    const second = await newSession(server, user);
    const third = await newSession(server, user);
    const bystander = await signUp(server);
    expect(await logout(server, second.accessToken, true)).toEqual({
      __typename: 'LogoutSuccess',
      revokedSessions: 3,
    });
    await expectSessionEnded(server, firstPair(user), rotated);
    await expectSessionEnded(server, second);
    await expectSessionEnded(server, third);
    await expectSessionLive(server, firstPair(bystander));
  });

  it('without a token is 1010', async () => {
    const { body } = await server.request(LogoutDocument, {});
    expect(body.errors).toBeUndefined();
    expect(body.data!.logout).toMatchObject(invalidToken);
    expect(body.extensions).toEqual({ infocode: 1010, info: 'INVALID_TOKEN_ERROR' });
  });

  it('after a refresh in the same operation, still acts only for the Authorization header', async () => {
    const user = await signUp(server);
    const other = await signUp(server);
    const document = `mutation ($refreshToken: String!) {
      refreshToken(refreshToken: $refreshToken) {
        __typename ... on AuthPayload { accessToken tokenType refreshToken user { id email } }
      }
      logout(allSessions: true) { __typename ... on ErrorResult { infocode } ... on LogoutSuccess { revokedSessions } }
    }`;
    const post = async (refreshToken: string, headers?: Record<string, string>) => {
      const { body } = await server.post(
        JSON.stringify({ query: document, variables: { refreshToken } }),
        headers,
      );
      const data = body.data as {
        refreshToken: { __typename: string; user: { id: string; email: string } };
        logout: unknown;
      };
      return { ...data, extensions: body.extensions };
    };
    // No header: the refresh answers (the user may see their own email) and logout is 1010.
    const anonymous = await post(user.refreshToken);
    expect(anonymous.refreshToken.user).toEqual({ id: user.id, email: user.email });
    expect(anonymous.logout).toEqual({ __typename: 'InvalidToken', infocode: 1010 });
    const live = await expectSessionLive(server, pairOf(server, anonymous.refreshToken));
    // Another user's header: logout ends that user's sessions, not the refreshed one's.
    const named = await post(live.refreshToken, bearer(other.token));
    expect(named.logout).toEqual({ __typename: 'LogoutSuccess', revokedSessions: 1 });
    await expectSessionEnded(server, firstPair(other));
    await expectSessionLive(server, pairOf(server, named.refreshToken));
  });

  it("with an ended session's access token is 1010", async () => {
    const user = await signUp(server);
    await logout(server, user.token);
    expect(await logout(server, user.token)).toMatchObject(invalidToken);
  });
});

describe('sessions and revokeSession', () => {
  it("lists the caller's live sessions, current marking exactly the calling one, with address and User-Agent as sent", async () => {
    const user = await signUp(server);
    const phone = await newSession(server, user, { 'user-agent': 'Phone/1.0 (test)' });
    const laptop = await newSession(server, user, { 'user-agent': 'Laptop/2.0 (test)' });
    await signUp(server); // someone else's sessions are not listed
    const listed = await sessions(server, laptop.accessToken);
    expect(listed.map((session) => session.id).sort()).toEqual(
      [user.sessionId, phone.sessionId, laptop.sessionId].sort(),
    );
    expect(listed.filter((session) => session.current).map((session) => session.id)).toEqual([
      laptop.sessionId,
    ]);
    const byId = new Map(listed.map((session) => [session.id, session]));
    expect(byId.get(phone.sessionId)).toMatchObject({
      userAgent: 'Phone/1.0 (test)',
      address: '127.0.0.1',
    });
    expect(byId.get(laptop.sessionId)).toMatchObject({
      userAgent: 'Laptop/2.0 (test)',
      address: '127.0.0.1',
    });
    for (const session of listed) {
      expect(Date.parse(session.lastUsedAt)).toBeGreaterThanOrEqual(Date.parse(session.createdAt));
    }
    // Asked from the phone, the phone is the current one.
    const fromPhone = await sessions(server, phone.accessToken);
    expect(fromPhone.filter((session) => session.current).map((session) => session.id)).toEqual([
      phone.sessionId,
    ]);
  });

  it('lastUsedAt moves on refresh; createdAt does not', async () => {
    const user = await signUp(server);
    const find = async (pair: Pair) =>
      (await sessions(server, pair.accessToken)).find((session) => session.id === pair.sessionId)!;
    const before = await find(firstPair(user));
    await pause(20);
    const after = await find(await rotate(server, user.refreshToken));
    expect(after.createdAt).toBe(before.createdAt);
    expect(Date.parse(after.lastUsedAt)).toBeGreaterThan(Date.parse(before.lastUsedAt));
  });

  it("revokeSession(id) of another device ends it: that device's tokens are 1010 and the list shrinks", async () => {
    const user = await signUp(server);
    const other = await newSession(server, user);
    expect(await revokeSession(server, user.token, other.sessionId)).toEqual({
      __typename: 'LogoutSuccess',
      revokedSessions: 1,
    });
    await expectSessionEnded(server, other);
    const listed = await sessions(server, user.token);
    expect(listed.map((session) => session.id)).toEqual([user.sessionId]);
  });

  it('revokeSession is idempotent: the second call revokes 0', async () => {
    const user = await signUp(server);
    const other = await newSession(server, user);
    await revokeSession(server, user.token, other.sessionId);
    expect(await revokeSession(server, user.token, other.sessionId)).toEqual({
      __typename: 'LogoutSuccess',
      revokedSessions: 0,
    });
  });

  it("revokeSession with the id of another user's session revokes nothing and leaves it working", async () => {
    const user = await signUp(server);
    const victim = await signUp(server);
    expect(await revokeSession(server, user.token, victim.sessionId)).toEqual({
      __typename: 'LogoutSuccess',
      revokedSessions: 0,
    });
    await expectSessionLive(server, firstPair(victim));
  });

  it('revokeSession with an id that is not a UUID revokes 0', async () => {
    const user = await signUp(server);
    for (const id of ['not-a-uuid', '', "' or 1=1 --", '*']) {
      expect(await revokeSession(server, user.token, id)).toEqual({
        __typename: 'LogoutSuccess',
        revokedSessions: 0,
      });
    }
    await expectSessionLive(server, firstPair(user));
  });

  it('revokeSession accepts the id in upper case', async () => {
    const user = await signUp(server);
    const other = await newSession(server, user);
    expect(await revokeSession(server, user.token, other.sessionId.toUpperCase())).toEqual({
      __typename: 'LogoutSuccess',
      revokedSessions: 1,
    });
  });

  it('sessions and revokeSession without a token are 1010', async () => {
    const list = await server.request(SessionsDocument, {});
    expect(list.body.data!.sessions).toMatchObject(invalidToken);
    const revoke = await server.request(RevokeSessionDocument, { id: randomUUID() });
    expect(revoke.body.data!.revokeSession).toMatchObject(invalidToken);
  });
});

describe('changePassword', () => {
  it('a wrong current password is WrongPassword (1008) and changes nothing', async () => {
    const user = await signUp(server);
    expect(
      await changePassword(server, user.token, 'not my password', 'a brand new password'),
    ).toMatchObject(wrongPassword);
    await expectSessionLive(server, firstPair(user));
    pairOf(server, await login(server, user));
  });

  it('a new password shorter than 8 characters is InvalidInput 1003 on newPassword', async () => {
    const user = await signUp(server);
    const result = await changePassword(server, user.token, user.password, 'short');
    expect(result).toMatchObject({
      __typename: 'InvalidInput',
      infocode: 1003,
      info: 'PASSWORD_NOT_SPECIFICATION',
      field: 'newPassword',
    });
  });

  it('a new password equal to the email is InvalidInput 1003 on newPassword', async () => {
    const user = await signUp(server);
    const result = await changePassword(server, user.token, user.password, user.email);
    expect(result).toMatchObject({ __typename: 'InvalidInput', infocode: 1003 });
    if (result.__typename !== 'InvalidInput') throw new Error(result.__typename);
    expect(result.field).toBe('newPassword');
    expect(result.violations.map((violation) => violation.field)).toEqual(['newPassword']);
  });

  it('success returns a fresh pair that works; every other session and the previous access token are 1010', async () => {
    const user = await signUp(server);
    const other = await newSession(server, user);
    const fresh = pairOf(
      server,
      await changePassword(server, user.token, user.password, `new ${user.password}`),
    );
    expect(fresh.userId).toBe(user.id);
    expect([user.sessionId, other.sessionId]).not.toContain(fresh.sessionId);
    await expectSessionEnded(server, firstPair(user));
    await expectSessionEnded(server, other);
    await expectSessionLive(server, fresh);
  });

  it('afterwards the old password is 1008 at login and the new one signs in', async () => {
    const user = await signUp(server);
    const newPassword = `new ${user.password}`;
    pairOf(server, await changePassword(server, user.token, user.password, newPassword));
    expect(await login(server, user)).toMatchObject(wrongPassword);
    pairOf(server, await login(server, user, newPassword));
  });

  it('without a token is 1010', async () => {
    const { body } = await server.request(ChangePasswordDocument, {
      currentPassword: 'whatever it is',
      newPassword: 'whatever it will be',
    });
    expect(body.data!.changePassword).toMatchObject(invalidToken);
  });
});

describe('deleteAccount', () => {
  it('a wrong password is 1008 and deletes nothing', async () => {
    const user = await signUp(server);
    expect(await deleteAccount(server, user.token, 'not my password')).toMatchObject(wrongPassword);
    expect(await deleteAccount(server, user.token, '')).toMatchObject(wrongPassword);
    await expectSessionLive(server, firstPair(user));
    pairOf(server, await login(server, user));
  });

  describe('success', () => {
    let user: Registered;
    let other: Pair;
    let result: Awaited<ReturnType<typeof deleteAccount>>;
    beforeAll(async () => {
      user = await signUp(server);
      other = await newSession(server, user);
      result = await deleteAccount(server, user.token, user.password);
    });

    it('returns AccountDeleted with the user id', () => {
      expect(result).toEqual({ __typename: 'AccountDeleted', id: user.id });
    });

    it("then me with the deleted user's access tokens is UserNotExist (1016)", async () => {
      expect(await me(server, user.token)).toMatchObject(userNotExist);
      expect(await me(server, other.accessToken)).toMatchObject(userNotExist);
    });

    it('their refresh tokens are 1010', async () => {
      expect(await refresh(server, user.refreshToken)).toMatchObject(invalidToken);
      expect(await refresh(server, other.refreshToken)).toMatchObject(invalidToken);
    });

    it('signed-in fields answer their access token with 1010', async () => {
      expect(await logout(server, other.accessToken)).toMatchObject(invalidToken);
      expect(await deleteAccount(server, other.accessToken, user.password)).toMatchObject(
        invalidToken,
      );
    });

    it('login is UserNotExist (1016)', async () => {
      expect(await login(server, user)).toMatchObject(userNotExist);
    });

    it('the same email can register again, as a new user', async () => {
      const { body } = await server.request(RegisterDocument, {
        input: { username: 'Came back', email: user.email, password: user.password },
      });
      const again = pairOf(server, body.data!.register);
      expect(again.userId).not.toBe(user.id);
      expect(await me(server, user.token)).toMatchObject(userNotExist);
    });
  });
});

describe('with RATE_LIMIT on and RATE_LIMIT_PASSWORD_CHECK=2/15m', () => {
  let limited: TestServer;
  beforeAll(async () => {
    limited = await startServer({ RATE_LIMIT: 'on', RATE_LIMIT_PASSWORD_CHECK: '2/15m' });
  });
  afterAll(async () => {
    expectCleanLog(limited);
    await limited.close();
  });

  it('wrong current passwords to changePassword count: then even the right one is 1020 with retryAfter', async () => {
    const user = await signUp(limited);
    const attempt = (current: string) =>
      changePassword(limited, user.token, current, 'a brand new password');
    expect(await attempt('not my password 1')).toMatchObject(wrongPassword);
    expect(await attempt('not my password 2')).toMatchObject(wrongPassword);
    const result = await attempt(user.password);
    expect(result).toMatchObject({
      __typename: 'TooManyRequests',
      infocode: 1020,
      info: 'TOO_MANY_REQUESTS',
    });
    if (result.__typename !== 'TooManyRequests') throw new Error(result.__typename);
    expect(result.retryAfter).toBeGreaterThan(0);
    // deleteAccount proves the same password under the same limit.
    expect(await deleteAccount(limited, user.token, user.password)).toMatchObject({
      __typename: 'TooManyRequests',
      infocode: 1020,
    });
    // The sessions still work, and the password did not change.
    await expectSessionLive(limited, firstPair(user));
    pairOf(limited, await login(limited, user));
  });

  it('two changePassword fields in one document (aliases) are refused with 1022 before any password is checked', async () => {
    const user = await signUp(limited);
    keep(limited, 'first guess!!', 'second guess!');
    const { status, body } = await limited.post(
      JSON.stringify({
        query: `mutation {
          a: changePassword(currentPassword: "first guess!!", newPassword: "a brand new password") { __typename }
          b: changePassword(currentPassword: "second guess!", newPassword: "a brand new password") { __typename }
        }`,
      }),
      bearer(user.token),
    );
    expect(status).toBe(400);
    expect(body.data).toBeUndefined();
    expect(body.errors![0]!.extensions).toMatchObject({
      infocode: 1022,
      info: 'QUERY_TOO_COMPLEX',
    });
    expect(body.extensions).toEqual({ infocode: 1022, info: 'QUERY_TOO_COMPLEX' });
    // Had the two wrong guesses been checked, the limit (2) would refuse the right password now.
    pairOf(
      limited,
      await changePassword(limited, user.token, user.password, `new ${user.password}`),
    );
  });

  it('changePassword with deleteAccount in one document is refused with 1022 and does neither', async () => {
    const user = await signUp(limited);
    const password = JSON.stringify(user.password);
    const { body } = await limited.post(
      JSON.stringify({
        query: `mutation {
          changePassword(currentPassword: ${password}, newPassword: "a brand new password") { __typename }
          deleteAccount(password: ${password}) { __typename }
        }`,
      }),
      bearer(user.token),
    );
    expect(body.data).toBeUndefined();
    expect(body.extensions).toEqual({ infocode: 1022, info: 'QUERY_TOO_COMPLEX' });
    await expectSessionLive(limited, firstPair(user));
    pairOf(limited, await login(limited, user));
  });
});

describe('the log, after all of the above', () => {
  it('holds no refresh token, access token, password or hash', () => {
    expect(server.logs.some((line) => line.msg === REUSE_LOG)).toBe(true);
    expectCleanLog(server);
  });
});
