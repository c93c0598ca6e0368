import { randomBytes as drawn, randomFillSync } from 'node:crypto';

/** Bytes drawn from the CSPRNG at a time; larger requests are drawn on their own. */
const POOL_BYTES = 4096;

let pool = Buffer.alloc(0);
let taken = 0;

/**
 * `size` bytes from the CSPRNG, like crypto.randomBytes, drawn 4 KiB at a time: each call of
 * crypto.randomBytes crosses into OpenSSL and costs as much for 16 bytes as for hundreds (7 µs
 * here), and a registration draws seven times (ids, salt, secrets). Node's randomUUID and
 * randomInt keep such a pool too. Every byte is handed out once, and zeroed in the pool as it is.
 */
export function randomBytes(size: number): Buffer {
  if (size > POOL_BYTES) return drawn(size);
  if (taken + size > pool.length) {
    pool = randomFillSync(Buffer.allocUnsafeSlow(POOL_BYTES));
    taken = 0;
  }
  const bytes = Buffer.allocUnsafe(size);
  pool.copy(bytes, 0, taken, taken + size);
  pool.fill(0, taken, taken + size);
  taken += size;
  return bytes;
}
