import { randomUUID } from 'node:crypto';
import { errors, jwtVerify, SignJWT } from 'jose';
import { type Config } from '../config';

export const ACCESS_TOKEN_TYPE = 'at+jwt'; // RFC 9068
const ALGORITHM = 'HS256';

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
 * required on verification. The key is imported once, not per request.
 */
export class AccessTokens {
  private readonly key: Uint8Array;

  constructor(private readonly settings: Config['jwt']) {
    this.key = settings.secret;
  }

  async issue(userId: string, sessionId: string): Promise<IssuedToken> {
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ sid: sessionId })
      .setProtectedHeader({ alg: ALGORITHM, typ: ACCESS_TOKEN_TYPE })
      .setIssuer(this.settings.issuer)
      .setAudience(this.settings.audience)
      .setSubject(userId)
      .setJti(randomUUID())
      .setIssuedAt(now)
      .setExpirationTime(now + this.settings.accessTokenTtl)
      .sign(this.key);
    return { token, expiresIn: this.settings.accessTokenTtl };
  }

  async verify(token: string): Promise<Verified> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        algorithms: [ALGORITHM],
        issuer: this.settings.issuer,
        audience: this.settings.audience,
        typ: ACCESS_TOKEN_TYPE,
        requiredClaims: ['iss', 'aud', 'sub', 'sid', 'exp', 'iat'],
      });
      const { sub, sid, iat } = payload;
      if (typeof sub !== 'string' || typeof sid !== 'string' || typeof iat !== 'number') {
        return { ok: false, reason: 'invalid' };
      }
      return { ok: true, claims: { userId: sub, sessionId: sid, issuedAt: iat } };
    } catch (error) {
      // jose checks the signature before the claims, so "expired" is only said of a genuine token.
      return { ok: false, reason: error instanceof errors.JWTExpired ? 'expired' : 'invalid' };
    }
  }
}
