import { createHmac, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import {
  base64url,
  type CryptoKey,
  exportJWK,
  exportSPKI,
  FlattenedSign,
  GeneralSign,
  generateKeyPair,
  type JWK,
  SignJWT,
} from 'jose';
import { MeDocument, type MeQuery } from './generated/graphql';
import { registerUser, type Registered } from './support/accounts';
import {
  bearer,
  type GraphQLResponse,
  startServer,
  TEST_JWT_SECRET,
  type TestServer,
} from './support/server';

/*
 * JWT attacks beyond those in tokens.test.ts (alg none, other HMAC algorithms, other secrets,
 * tampering, wrong/missing claims, typ JWT, no typ, a future nbf): key confusion, attacker keys
 * named by kid/jku/jwk/x5u, JWS JSON serialization, typ smuggled elsewhere, odd nbf values and a
 * second token in the header. Every one must be InvalidToken 1010; the control shows the same
 * signer and claims are accepted when nothing is wrong, so each case fails only for its attack.
 */

let server: TestServer;
let alice: Registered;
let attacker: { publicKey: CryptoKey; privateKey: CryptoKey; publicJwk: JWK; spki: string };

/** A server the attacker controls, offering their keys; the API must never fetch from it. */
let keyHost: Server;
let keyHostUrl: string;
const keyHostRequests: string[] = [];

beforeAll(async () => {
  server = await startServer({ RATE_LIMIT: 'off' });
  alice = await registerUser(server);
  const pair = await generateKeyPair('RS256', { extractable: true });
  attacker = {
    ...pair,
    publicJwk: { ...(await exportJWK(pair.publicKey)), kid: 'attacker', alg: 'RS256', use: 'sig' },
    spki: await exportSPKI(pair.publicKey),
  };
  keyHost = createServer((request, response) => {
    keyHostRequests.push(`${request.method} ${request.url}`);
    const body = request.url?.endsWith('.pem')
      ? attacker.spki
      : JSON.stringify({ keys: [attacker.publicJwk, ATTACKER_OCT_JWK] });
    response.writeHead(200, { 'content-type': 'application/json' }).end(body);
  });
  await new Promise<void>((resolve) => keyHost.listen(0, '127.0.0.1', resolve));
  keyHostUrl = `http://127.0.0.1:${(keyHost.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => keyHost.close(() => resolve()));
  await server.close();
});

const ATTACKER_SECRET = 'the-attacker-chose-this-secret-32-bytes!';
const ATTACKER_OCT_JWK: JWK = {
  kty: 'oct',
  k: base64url.encode(ATTACKER_SECRET),
  kid: 'attacker-oct',
  alg: 'HS256',
};

const now = (): number => Math.floor(Date.now() / 1000);

/** Exactly the claims the server issues, for alice, valid for 15 minutes. */
function claims(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    iss: 'account-api',
    aud: 'account-api',
    sub: alice.id,
    sid: alice.sessionId,
    jti: randomUUID(),
    iat: now(),
    exp: now() + 15 * 60,
    ...extra,
  };
}

const segment = (value: unknown): string => base64url.encode(JSON.stringify(value));

/** A compact HS256 token built by hand, so any header and any key (even an empty one) can be used. */
function hs256(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  key: string | Uint8Array,
): string {
  const signingInput = `${segment(header)}.${segment(payload)}`;
  const signature = createHmac('sha256', key).update(signingInput).digest('base64url');
  return `${signingInput}.${signature}`;
}

const RIGHT_HEADER = { alg: 'HS256', typ: 'at+jwt' };

/** An RS256 token signed with the attacker's private key, with extra header parameters. */
function rs256(header: Record<string, unknown> = {}, payload = claims()): Promise<string> {
  return new SignJWT(payload)
    .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', ...header })
    .sign(attacker.privateKey);
}

type Body = GraphQLResponse<MeQuery>['body'];

async function me(headers: Record<string, string>): Promise<Body> {
  return (await server.request(MeDocument, {}, headers)).body;
}

function expectInvalidToken(body: Body): void {
  expect(body.errors).toBeUndefined();
  expect(body.data?.me).toMatchObject({
    __typename: 'InvalidToken',
    infocode: 1010,
    info: 'INVALID_TOKEN_ERROR',
  });
  expect(body.extensions).toEqual({ infocode: 1010, info: 'INVALID_TOKEN_ERROR' });
}

function expectAlice(body: Body): void {
  expect(body.errors).toBeUndefined();
  expect(body.extensions).toEqual({ infocode: 1000, info: 'OK' });
  expect(body.data?.me).toMatchObject({ __typename: 'User', id: alice.id, email: alice.email });
}

describe('control', () => {
  it('a token forged with the server secret, right header and claims is accepted (the hand-made signer works)', async () => {
    expectAlice(await me(bearer(hs256(RIGHT_HEADER, claims(), TEST_JWT_SECRET))));
  });

  it('the token registration handed out is accepted', async () => {
    expectAlice(await me(bearer(alice.token)));
  });
});

describe('HS/RS key confusion is InvalidToken (1010)', () => {
  it('an RS256 token signed with a freshly generated RSA key', async () => {
    expectInvalidToken(await me(bearer(await rs256())));
  });

  it('an HS256 token whose HMAC key is that RSA public key as PEM (SPKI)', async () => {
    expectInvalidToken(await me(bearer(hs256(RIGHT_HEADER, claims(), attacker.spki))));
  });

  it('the same, with the PEM trimmed of its final newline', async () => {
    expectInvalidToken(await me(bearer(hs256(RIGHT_HEADER, claims(), attacker.spki.trim()))));
  });

  it('an HS256 token whose HMAC key is the RSA public key as JWK JSON', async () => {
    const key = JSON.stringify(attacker.publicJwk);
    expectInvalidToken(await me(bearer(hs256(RIGHT_HEADER, claims(), key))));
  });

  it('header alg RS256 over an HMAC signature made with the server secret', async () => {
    const token = hs256({ alg: 'RS256', typ: 'at+jwt' }, claims(), TEST_JWT_SECRET);
    expectInvalidToken(await me(bearer(token)));
  });
});

describe('a header naming the attacker key is InvalidToken (1010), and nothing is fetched', () => {
  it('RS256 with the attacker public key embedded as `jwk`', async () => {
    const { kid: _kid, ...jwk } = attacker.publicJwk;
    expectInvalidToken(await me(bearer(await rs256({ jwk }))));
  });

  it('RS256 with `jku` pointing at the attacker JWKS', async () => {
    expectInvalidToken(
      await me(bearer(await rs256({ jku: `${keyHostUrl}/jwks.json`, kid: 'attacker' }))),
    );
  });

  it('RS256 with `x5u` pointing at the attacker key', async () => {
    expectInvalidToken(await me(bearer(await rs256({ x5u: `${keyHostUrl}/key.pem` }))));
  });

  it('RS256 with `kid` naming the attacker key', async () => {
    expectInvalidToken(await me(bearer(await rs256({ kid: 'attacker' }))));
  });

  it('HS256 signed with the attacker secret, embedded as an `oct` `jwk`', async () => {
    const { kid: _kid, ...jwk } = ATTACKER_OCT_JWK;
    const token = hs256({ ...RIGHT_HEADER, jwk }, claims(), ATTACKER_SECRET);
    expectInvalidToken(await me(bearer(token)));
  });

  it('HS256 signed with the attacker secret, `jku` pointing at the attacker JWKS', async () => {
    const header = { ...RIGHT_HEADER, jku: `${keyHostUrl}/jwks.json`, kid: 'attacker-oct' };
    expectInvalidToken(await me(bearer(hs256(header, claims(), ATTACKER_SECRET))));
  });

  it.each([
    ['a path to an empty file, signed with an empty key', '../../../../../../dev/null', ''],
    ['a path to a file, signed with its contents', '/proc/sys/kernel/randomize_va_space', '2\n'],
    [
      'SQL that would select the attacker secret',
      `x' UNION SELECT '${ATTACKER_SECRET}' --`,
      ATTACKER_SECRET,
    ],
    ['an unknown key id, signed with the attacker secret', 'attacker-oct', ATTACKER_SECRET],
    [
      'the attacker JWKS URL, signed with the attacker secret',
      'KEY_HOST/jwks.json',
      ATTACKER_SECRET,
    ],
  ])('HS256 with `kid` set to %s', async (_name, kid, key) => {
    const header = { ...RIGHT_HEADER, kid: kid.replace('KEY_HOST', keyHostUrl) };
    expectInvalidToken(await me(bearer(hs256(header, claims(), key))));
  });

  it('no request ever reached the attacker key host', () => {
    expect(keyHostRequests).toEqual([]);
  });
});

describe('a correctly signed token in another shape is InvalidToken (1010)', () => {
  const SECRET = new TextEncoder().encode(TEST_JWT_SECRET);
  const payloadBytes = (): Uint8Array => new TextEncoder().encode(JSON.stringify(claims()));

  it('JWS JSON serialization (flattened) as the bearer string, though its signature is genuine', async () => {
    const jws = await new FlattenedSign(payloadBytes())
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
      .sign(SECRET);
    expectInvalidToken(await me(bearer(JSON.stringify(jws))));
    // The same three parts in compact form are accepted: only the serialization is refused.
    expectAlice(await me(bearer(`${jws.protected}.${jws.payload}.${jws.signature}`)));
  });

  it('JWS JSON serialization (general) as the bearer string', async () => {
    const jws = await new GeneralSign(payloadBytes())
      .addSignature(SECRET)
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
      .sign();
    expectInvalidToken(await me(bearer(JSON.stringify(jws))));
  });

  it('flattened JWS JSON, base64url-encoded as if it were a token', async () => {
    const jws = await new FlattenedSign(payloadBytes())
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
      .sign(SECRET);
    expectInvalidToken(await me(bearer(base64url.encode(JSON.stringify(jws)))));
  });
});

// tokens.test.ts already has "no typ" (typ left out of the header) and "a future nbf"
// (an hour ahead); these are the variants it does not have.
describe('typ and nbf smuggled past the checks are InvalidToken (1010), right signature and all', () => {
  it.each<[string, Record<string, unknown>, Record<string, unknown>]>([
    ['typ missing from the header but present as a claim', { alg: 'HS256' }, { typ: 'at+jwt' }],
    ['typ as a list', { alg: 'HS256', typ: ['at+jwt'] }, {}],
    ['typ empty', { alg: 'HS256', typ: '' }, {}],
    ['cty at+jwt instead of typ', { alg: 'HS256', cty: 'at+jwt' }, {}],
    ['typ of an ID token', { alg: 'HS256', typ: 'id+jwt' }, {}],
    ['nbf far in the future (year 9999)', RIGHT_HEADER, { nbf: 253402300799 }],
    ['nbf as a string', RIGHT_HEADER, { nbf: String(now() + 3600) }],
    ['exp as a string', RIGHT_HEADER, { exp: String(now() + 3600) }],
  ])('%s', async (_name, header, extra) => {
    expectInvalidToken(await me(bearer(hs256(header, claims(extra), TEST_JWT_SECRET))));
  });
});

describe('anything but exactly one token in the header is InvalidToken (1010)', () => {
  let good: string;
  let other: string;
  beforeAll(() => {
    good = hs256(RIGHT_HEADER, claims(), TEST_JWT_SECRET);
    other = hs256(RIGHT_HEADER, claims(), TEST_JWT_SECRET);
  });

  it('the token used below is itself accepted (control)', async () => {
    expectAlice(await me(bearer(good)));
  });

  it.each<[string, (token: string, second: string) => string]>([
    ['a second token after it, separated by a space', (t, s) => `Bearer ${t} ${s}`],
    ['a second token after it, separated by a comma', (t, s) => `Bearer ${t},${s}`],
    ['a second credential after it', (t, s) => `Bearer ${t}, Bearer ${s}`],
    ['garbage after it', (t) => `Bearer ${t} x`],
    ['a tab between the token and a second one', (t, s) => `Bearer ${t}\t${s}`],
    ['a tab instead of the space after Bearer', (t) => `Bearer\t${t}`],
    ['no space after Bearer', (t) => `Bearer${t}`],
    ['a space inside the token', (t) => `Bearer ${t.replace('.', '. ')}`],
    ['a no-break space after it', (t) => `Bearer ${t}\u00a0`],
    ['the token twice, glued', (t) => `Bearer ${t}${t}`],
    ['the token with a fourth segment', (t) => `Bearer ${t}.${t.split('.')[2]}`],
  ])('%s', async (_name, build) => {
    expectInvalidToken(await me({ authorization: build(good, other) }));
  });
});
