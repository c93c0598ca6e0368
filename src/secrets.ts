import { hash, timingSafeEqual } from 'node:crypto';
import { randomBytes } from './random';

/**
 * Bearer secrets the server hands out and stores only as hashes (refresh tokens, email links):
 * 256 random bits in base64url, 43 characters.
 */
export const SECRET = /^[A-Za-z0-9_-]{43}$/;

export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** SHA-256 in base64url: what is stored instead of a secret (a 256-bit secret needs no salt). */
export function hashSecret(secret: string): string {
  return hash('sha256', secret, 'base64url');
}

export function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
