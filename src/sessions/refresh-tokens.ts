import { createHmac, hkdfSync } from 'node:crypto';
import { canonicalId } from '../db/ids';
import { hashSecret, newSecret, SECRET, sameHash } from '../secrets';

/**
 * Refresh tokens: `<session id>.<secret>`, the secret 256 bits in base64url (43 characters).
 *
 * A session's first secret is random. Each successor is HMAC-SHA-256(chain key, session id and
 * predecessor): whoever presents a token can be given its successor again without the successor
 * being stored anywhere, so concurrent refreshes of one token, on any instance, converge on one
 * answer. The chain key is derived from JWT_SECRET, so every instance derives the same successors
 * and nobody without the secret can.
 *
 * The chain also recognises any retired token of a session, however old: applying the HMAC
 * `generation` times at most must reach the current token's hash. A token that does not is a
 * forgery, not reuse, so a guessed token cannot end somebody's session.
 */
export interface RefreshToken {
  sessionId: string;
  secret: string;
}

export class RefreshTokenChain {
  private readonly key: Buffer;

  constructor(jwtSecret: Uint8Array) {
    this.key = Buffer.from(
      hkdfSync('sha256', jwtSecret, '', 'account-api refresh-token chain', 32),
    );
  }

  first(): string {
    return newSecret();
  }

  successor(sessionId: string, secret: string): string {
    return createHmac('sha256', this.key).update(`${sessionId}.${secret}`).digest('base64url');
  }

  /** How many steps from `secret` reach the token whose hash is `currentHash` (0: it is current). */
  stepsTo(sessionId: string, secret: string, currentHash: string, most: number): number | null {
    let candidate = secret;
    for (let steps = 0; steps <= most; steps++) {
      if (sameHash(hashSecret(candidate), currentHash)) return steps;
      candidate = this.successor(sessionId, candidate);
    }
    return null;
  }
}

export function formatRefreshToken(token: RefreshToken): string {
  return `${token.sessionId}.${token.secret}`;
}

export function parseRefreshToken(text: string): RefreshToken | null {
  const dot = text.indexOf('.');
  if (dot === -1) return null;
  const sessionId = canonicalId(text.slice(0, dot));
  const secret = text.slice(dot + 1);
  return sessionId && SECRET.test(secret) ? { sessionId, secret } : null;
}
