import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { base64url, SignJWT, type JWTPayload } from 'jose';

export interface Attack {
  name: string;
  token: string;
}

const encode = (value: unknown): string => base64url.encode(JSON.stringify(value));

/**
 * Tokens an attacker would try against a server whose HS256 secret is `secret`, for the user
 * `userId` in their live session `sessionId`. Each must be refused (1010); `control` is a correct
 * token that must be accepted.
 */
export async function jwtAttacks(
  secret: string,
  userId: string,
  sessionId: string,
  claims: { issuer?: string; audience?: string } = {},
): Promise<{ control: string; attacks: Attack[] }> {
  const key = new TextEncoder().encode(secret);
  const issuer = claims.issuer ?? 'account-api';
  const audience = claims.audience ?? 'account-api';
  const now = Math.floor(Date.now() / 1000);
  const payload: JWTPayload = {
    iss: issuer,
    aud: audience,
    sub: userId,
    sid: sessionId,
    iat: now,
    exp: now + 600,
  };

  const sign = (
    body: JWTPayload,
    header: Record<string, unknown> = {},
    signingKey: Uint8Array = key,
  ) =>
    new SignJWT(body)
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', ...header })
      .sign(signingKey);

  const control = await sign(payload);
  const [controlHeader, controlBody, controlSignature] = control.split('.') as [
    string,
    string,
    string,
  ];
  const unsigned = (alg: string) => `${encode({ alg, typ: 'at+jwt' })}.${controlBody}.`;
  const without = (claim: keyof JWTPayload) => {
    const copy = { ...payload };
    delete copy[claim];
    return copy;
  };

  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const rs256 = await new SignJWT(payload)
    .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt' })
    .sign(privateKey);
  const attackerKey = new TextEncoder().encode('an attacker secret of at least 32 bytes!');

  const attacks: Attack[] = [
    { name: 'alg none', token: unsigned('none') },
    { name: 'alg None', token: unsigned('None') },
    { name: 'alg nOnE', token: unsigned('nOnE') },
    {
      name: 'alg none with the genuine signature',
      token: `${encode({ alg: 'none', typ: 'at+jwt' })}.${controlBody}.${controlSignature}`,
    },
    { name: 'RS256 signed with an attacker RSA key', token: rs256 },
    {
      name: 'HS256 keyed with an RSA public key (HS/RS confusion)',
      token: await sign(payload, {}, new TextEncoder().encode(publicPem)),
    },
    {
      name: 'HS384 with the right secret',
      token: await new SignJWT(payload)
        .setProtectedHeader({ alg: 'HS384', typ: 'at+jwt' })
        .sign(key),
    },
    {
      name: 'tampered payload',
      token: `${controlHeader}.${encode({ ...payload, sub: randomUUID() })}.${controlSignature}`,
    },
    { name: 'empty signature', token: `${controlHeader}.${controlBody}.` },
    { name: 'truncated signature', token: control.slice(0, -5) },
    { name: 'no signature part', token: `${controlHeader}.${controlBody}` },
    { name: 'wrong issuer', token: await sign({ ...payload, iss: 'someone-else' }) },
    { name: 'wrong audience', token: await sign({ ...payload, aud: 'another-api' }) },
    { name: 'wrong typ', token: await sign(payload, { typ: 'JWT' }) },
    { name: 'missing exp', token: await sign(without('exp')) },
    { name: 'missing sid', token: await sign(without('sid')) },
    { name: 'future nbf', token: await sign({ ...payload, nbf: now + 3600 }) },
    {
      name: 'JWS JSON serialization',
      token: JSON.stringify({
        protected: controlHeader,
        payload: controlBody,
        signature: controlSignature,
      }),
    },
    {
      name: 'kid pointing elsewhere, signed with the attacker key',
      token: await sign(payload, { kid: '../../attacker/key' }, attackerKey),
    },
    {
      name: 'jku pointing elsewhere, signed with the attacker key',
      token: await sign(payload, { jku: 'https://attacker.example/jwks.json' }, attackerKey),
    },
    { name: 'signed with another secret', token: await sign(payload, {}, attackerKey) },
    {
      name: 'expired, signed with another secret',
      token: await sign({ ...payload, exp: now - 60 }, {}, attackerKey),
    },
  ];
  return { control, attacks };
}
