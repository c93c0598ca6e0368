import { randomUUID } from 'node:crypto';
import { base64url, jwtVerify, SignJWT } from 'jose';
import { MeDocument, type MeQuery } from './generated/graphql';
import { registerUser, type Registered } from './support/accounts';
import {
  bearer,
  type GraphQLResponse,
  startServer,
  TEST_JWT_SECRET,
  type TestServer,
} from './support/server';

let server: TestServer;
let alice: Registered;
let bob: Registered;

beforeAll(async () => {
  server = await startServer();
  alice = await registerUser(server);
  bob = await registerUser(server);
});
afterAll(() => server.close());

const SECRET = new TextEncoder().encode(TEST_JWT_SECRET);
const OTHER_SECRET = new TextEncoder().encode('another-secret-that-is-also-32-bytes-long!!');
const now = (): number => Math.floor(Date.now() / 1000);

interface Forgery {
  /** Claims to set or override. */
  claims?: Record<string, unknown>;
  /** Claims to leave out. */
  omit?: string[];
  alg?: string;
  typ?: string | undefined;
  key?: Uint8Array;
}

/** The claims the server issues: iss, aud, sub, sid, jti, iat, exp (15 minutes ahead). */
function claimsFor(userId: string, { claims = {}, omit = [] }: Forgery = {}) {
  const payload: Record<string, unknown> = {
    iss: 'account-api',
    aud: 'account-api',
    sub: userId,
    // The user's real session, so that only what a forgery changes differs from a real token.
    sid: [alice, bob].find((user) => user.id === userId)?.sessionId ?? randomUUID(),
    jti: randomUUID(),
    iat: now(),
    exp: now() + 15 * 60,
    ...claims,
  };
  for (const name of omit) delete payload[name];
  return payload;
}

/** Signs a token the way the server does, with whatever was asked to be different. */
async function forge(userId: string, forgery: Forgery = {}): Promise<string> {
  const { alg = 'HS256', key = SECRET } = forgery;
  const typ = 'typ' in forgery ? forgery.typ : 'at+jwt';
  return new SignJWT(claimsFor(userId, forgery))
    .setProtectedHeader(typ === undefined ? { alg } : { alg, typ })
    .sign(key);
}

const encodeJson = (value: unknown): string => base64url.encode(JSON.stringify(value));

/** An unsigned token built by hand: header.payload.signature, any of them as given. */
function unsigned(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  signature = '',
) {
  return `${encodeJson(header)}.${encodeJson(payload)}.${signature}`;
}

type Body = GraphQLResponse<MeQuery>['body'];

async function me(headers?: Record<string, string>): Promise<Body> {
  return (await server.request(MeDocument, {}, headers)).body;
}

/** The same code in all three places: the union member, no `errors`, and the envelope. */
function expectFailure(body: Body, typename: string, infocode: number, info: string): void {
  expect(body.errors).toBeUndefined();
  const result = body.data?.me;
  expect(result).toMatchObject({ __typename: typename, infocode, info });
  if (!result || result.__typename === 'User') throw new Error('expected an error member');
  expect(typeof result.message).toBe('string');
  expect(result.message.trim()).not.toBe('');
  expect(body.extensions).toEqual({ infocode, info });
}

const expectInvalidToken = (body: Body): void =>
  expectFailure(body, 'InvalidToken', 1010, 'INVALID_TOKEN_ERROR');

function expectUser(body: Body, user: Registered): void {
  expect(body.errors).toBeUndefined();
  expect(body.extensions).toEqual({ infocode: 1000, info: 'OK' });
  const result = body.data?.me;
  if (result?.__typename !== 'User') throw new Error(JSON.stringify(body));
  expect(result.id).toBe(user.id);
  expect(result.account).toBe(user.account);
  expect(result.email).toBe(user.email); // the caller sees their own email
}

describe('me with a valid token (1000)', () => {
  it('accepts the access token registration handed out', async () => {
    expectUser(await me(bearer(alice.token)), alice);
  });

  it('hands out an HS256 JWT of type at+jwt that a standard library verifies with the secret', async () => {
    const { payload, protectedHeader } = await jwtVerify(alice.token, SECRET, {
      algorithms: ['HS256'],
      typ: 'at+jwt',
      issuer: 'account-api',
      audience: 'account-api',
      subject: alice.id,
    });
    expect(protectedHeader).toEqual({ alg: 'HS256', typ: 'at+jwt' });
    expect(Object.keys(payload).sort()).toEqual(['aud', 'exp', 'iat', 'iss', 'jti', 'sid', 'sub']);
    expect(payload.sid).toBe(alice.sessionId);
    expect(payload.exp! - payload.iat!).toBe(15 * 60);
    await expect(jwtVerify(alice.token, OTHER_SECRET)).rejects.toThrow();
  });

  it('accepts a token forged with every claim right and TEST_JWT_SECRET (the control for the forgeries below)', async () => {
    expectUser(await me(bearer(await forge(bob.id))), bob);
  });

  it('accepts the scheme name in any case', async () => {
    expectUser(await me({ authorization: `bearer ${alice.token}` }), alice);
  });
});

describe('me without a usable token is InvalidToken (1010)', () => {
  it('no Authorization header', async () => {
    expectInvalidToken(await me());
  });

  it.each([
    ['Bearer garbage', 'Bearer garbage'],
    ['an empty bearer', 'Bearer '],
    ['a token without the Bearer scheme', 'RAW_TOKEN'],
    ['Basic credentials', 'Basic dXNlcjpwYXNz'],
    ['two dots only', 'Bearer ..'],
  ])('%s', async (_name, authorization) => {
    const token = alice.token;
    expectInvalidToken(await me({ authorization: authorization.replace('RAW_TOKEN', token) }));
  });

  it('a token signed with another secret', async () => {
    expectInvalidToken(await me(bearer(await forge(alice.id, { key: OTHER_SECRET }))));
  });

  it.each(['none', 'None', 'NONE'])('alg %s with an empty signature', async (alg) => {
    const token = unsigned({ alg, typ: 'at+jwt' }, claimsFor(alice.id));
    expectInvalidToken(await me(bearer(token)));
  });

  it('alg none carrying a genuine HS256 signature', async () => {
    const genuine = await forge(alice.id);
    const [, payload, signature] = genuine.split('.');
    const token = `${encodeJson({ alg: 'none', typ: 'at+jwt' })}.${payload}.${signature}`;
    expectInvalidToken(await me(bearer(token)));
  });

  it('a token signed with HS384 and the right secret', async () => {
    expectInvalidToken(await me(bearer(await forge(alice.id, { alg: 'HS384' }))));
  });

  it('a token signed with HS512 and the right secret', async () => {
    expectInvalidToken(await me(bearer(await forge(alice.id, { alg: 'HS512' }))));
  });

  it('a tampered payload (sub changed to another user, old signature kept)', async () => {
    const genuine = await forge(alice.id);
    const [header, payload, signature] = genuine.split('.') as [string, string, string];
    const claims = JSON.parse(new TextDecoder().decode(base64url.decode(payload))) as Record<
      string,
      unknown
    >;
    expect(claims.sub).toBe(alice.id);
    const tampered = `${header}.${encodeJson({ ...claims, sub: bob.id })}.${signature}`;
    expectInvalidToken(await me(bearer(tampered)));
  });

  it('a tampered payload (exp pushed forward, old signature kept)', async () => {
    const genuine = await forge(alice.id);
    const [header, , signature] = genuine.split('.') as [string, string, string];
    const claims = claimsFor(alice.id, { claims: { exp: now() + 365 * 86400 } });
    expectInvalidToken(await me(bearer(`${header}.${encodeJson(claims)}.${signature}`)));
  });

  it('an empty signature', async () => {
    const genuine = await forge(alice.id);
    expectInvalidToken(await me(bearer(genuine.slice(0, genuine.lastIndexOf('.') + 1))));
  });

  it('a truncated signature', async () => {
    const genuine = await forge(alice.id);
    expectInvalidToken(await me(bearer(genuine.slice(0, -4))));
  });

  it('a signature that is one character off', async () => {
    const genuine = await forge(alice.id);
    const last = genuine.at(-2) === 'A' ? 'B' : 'A';
    expectInvalidToken(await me(bearer(`${genuine.slice(0, -2)}${last}${genuine.at(-1)}`)));
  });

  it('only header and payload (no signature part)', async () => {
    const genuine = await forge(alice.id);
    expectInvalidToken(await me(bearer(genuine.slice(0, genuine.lastIndexOf('.')))));
  });

  it.each<[string, Forgery]>([
    ['wrong iss', { claims: { iss: 'someone-else' } }],
    ['wrong aud', { claims: { aud: 'another-api' } }],
    ['wrong aud in a list', { claims: { aud: ['another-api', 'third-api'] } }],
    ['missing iss', { omit: ['iss'] }],
    ['missing aud', { omit: ['aud'] }],
    ['missing sub', { omit: ['sub'] }],
    ['missing sid', { omit: ['sid'] }],
    ['missing exp', { omit: ['exp'] }],
    ['missing iat', { omit: ['iat'] }],
    ['typ JWT', { typ: 'JWT' }],
    ['no typ', { typ: undefined }],
    ['a future nbf', { claims: { nbf: now() + 3600 } }],
  ])('%s', async (_name, forgery) => {
    expectInvalidToken(await me(bearer(await forge(alice.id, forgery))));
  });

  it('an expired token signed with another secret is 1010, not 1009', async () => {
    const token = await forge(alice.id, {
      key: OTHER_SECRET,
      claims: { iat: now() - 7200, exp: now() - 3600 },
    });
    expectInvalidToken(await me(bearer(token)));
  });
});

describe('me with an expired token is TokenExpired (1009)', () => {
  it('a correctly signed token whose exp has passed', async () => {
    const token = await forge(alice.id, { claims: { iat: now() - 7200, exp: now() - 3600 } });
    expectFailure(await me(bearer(token)), 'TokenExpired', 1009, 'TOKEN_EXPIRED_ERROR');
  });
});

describe('me for a user that does not exist is UserNotExist (1016)', () => {
  it('a correctly signed token whose sub is an unknown user id', async () => {
    const token = await forge(randomUUID());
    expectFailure(await me(bearer(token)), 'UserNotExist', 1016, 'USER_NOT_EXIST');
  });
});

describe('a token the server has already verified', () => {
  it('still expires on time (the verified-token cache checks exp on every use)', async () => {
    // exp is whole seconds after iat, which counts whole seconds: a token lives more than TTL - 1
    // s and at most TTL. At 1 s one issued late in a second could expire before its first use.
    const shortLived = await startServer({ ACCESS_TOKEN_TTL: '2s' });
    try {
      const user = await registerUser(shortLived);
      const first = await shortLived.request(MeDocument, {}, bearer(user.token));
      expect(first.body.data!.me.__typename).toBe('User'); // verified, and now remembered
      await new Promise((resolve) => setTimeout(resolve, 2100));
      const later = await shortLived.request(MeDocument, {}, bearer(user.token));
      expect(later.body.data!.me).toMatchObject({ __typename: 'TokenExpired', infocode: 1009 });
      expect(later.body.extensions).toEqual({ infocode: 1009, info: 'TOKEN_EXPIRED_ERROR' });
    } finally {
      await shortLived.close();
    }
  });
});
