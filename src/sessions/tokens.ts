import { createHmac, createSecretKey, type KeyObject, randomUUID, webcrypto } from 'node:crypto';
import { type CryptoKey, errors, jwtVerify } from 'jose';
import { type Config } from '../config';

export const ACCESS_TOKEN_TYPE = 'at+jwt'; // RFC 9068
const ALGORITHM = 'HS256';
/** The JWS protected header of every access token, encoded once. */
const PROTECTED_HEADER = Buffer.from(
  JSON.stringify({ alg: ALGORITHM, typ: ACCESS_TOKEN_TYPE }),
).toString('base64url');
/** Verified tokens remembered at once (about 200 bytes each). */
const VERIFIED_CACHE_SIZE = 10_000;

export interface IssuedToken {
  token: string;
  /** Seconds until it expires. */
  expiresIn: number;
}

export interface AccessClaims {
  userId: string;
  sessionId: string;
  issuedAt: number;
}

export type Verified =
  { ok: true; claims: AccessClaims } | { ok: false; reason: 'expired' | 'invalid' };

/**
 * Access tokens: JWTs signed with one pinned algorithm; iss, aud, typ, sub, sid and exp are all
 * required on verification (by jose). The key is imported once, not per request.
 */
export class AccessTokens {
  /** Imported once: jose would otherwise import the raw secret again for every token. */
  private readonly key: Promise<CryptoKey>;
  private readonly signingKey: KeyObject;

  constructor(private readonly settings: Config['jwt']) {
    this.signingKey = createSecretKey(settings.secret);
    this.key = webcrypto.subtle.importKey(
      'raw',
      settings.secret,
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['sign', 'verify'],
    );
  }

  /**
   * Signed here with node:crypto's HMAC, synchronously: jose signs through WebCrypto, whose
   * every HMAC is a job on the libuv threadpool, the one the password hashes need. The result is
   * the same compact JWS (RFC 7515) that jose makes and verify() checks.
   */
  issue(userId: string, sessionId: string): IssuedToken {
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      sid: sessionId,
      iss: this.settings.issuer,
      aud: this.settings.audience,
      sub: userId,
      jti: randomUUID(),
      iat: now,
      exp: now + this.settings.accessTokenTtl,
    };
    const signed = `${PROTECTED_HEADER}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
    const signature = createHmac('sha256', this.signingKey).update(signed).digest('base64url');
    return { token: `${signed}.${signature}`, expiresIn: this.settings.accessTokenTtl };
  }

  /**
   * Tokens already verified, by their exact text: a client sends the same token on every request
   * until it expires, and its signature and claims cannot have changed. Expiry is still checked on
   * each use; revocation is the session check's business, after this one.
   */
  private readonly verified = new Map<string, { claims: AccessClaims; expiresAt: number }>();

  async verify(token: string): Promise<Verified> {
    const known = this.verified.get(token);
    if (known) {
      if (known.expiresAt > Date.now() / 1000) return { ok: true, claims: known.claims };
      this.verified.delete(token);
      return { ok: false, reason: 'expired' };
    }
    const result = await this.verifySignatureAndClaims(token);
    if (!result.ok) return result;
    if (this.verified.size >= VERIFIED_CACHE_SIZE) {
      // Maps iterate in insertion order: drop the oldest entry.
      this.verified.delete(this.verified.keys().next().value!);
    }
    this.verified.set(token, { claims: result.claims, expiresAt: result.expiresAt });
    return { ok: true, claims: result.claims };
  }

  private async verifySignatureAndClaims(
    token: string,
  ): Promise<
    | { ok: true; claims: AccessClaims; expiresAt: number }
    | { ok: false; reason: 'expired' | 'invalid' }
  > {
    try {
      const { payload } = await jwtVerify(token, await this.key, {
        algorithms: [ALGORITHM],
        issuer: this.settings.issuer,
        audience: this.settings.audience,
        typ: ACCESS_TOKEN_TYPE,
        requiredClaims: ['iss', 'aud', 'sub', 'sid', 'exp', 'iat'],
      });
      const { sub, sid, iat, exp } = payload;
      if (
        typeof sub !== 'string' ||
        typeof sid !== 'string' ||
        typeof iat !== 'number' ||
        typeof exp !== 'number'
      ) {
        return { ok: false, reason: 'invalid' };
      }
      return { ok: true, claims: { userId: sub, sessionId: sid, issuedAt: iat }, expiresAt: exp };
    } catch (error) {
      // jose checks the signature before the claims, so "expired" is only said of a genuine token.
      return { ok: false, reason: error instanceof errors.JWTExpired ? 'expired' : 'invalid' };
    }
  }
}
