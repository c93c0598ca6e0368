import { randomBytes } from '../random';

/** The time and counter of the last id made: see uuidv7. */
let lastTime = -1;
let lastCount = 0;

/**
 * A UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, a 12-bit counter, then random bits. Ids sort
 * by creation time, which keeps the primary-key index append-mostly and gives listings a stable
 * order; ids made by this process sort in the order it made them, even within a millisecond (RFC
 * 9562 section 6.2, method 1): the counter starts each millisecond at a random value below 2048
 * and counts up, and should it pass 4095, or the clock go back, the time is taken as the last
 * id's (and a millisecond on from it once the counter is spent).
 */
export function uuidv7(now: number = Date.now()): string {
  const bytes = randomBytes(16);
  let time = now;
  let count = ((bytes[6]! & 0x07) << 8) | bytes[7]!;
  if (time <= lastTime) {
    time = lastTime;
    if (lastCount < 0xfff) count = lastCount + 1;
    else time += 1;
  }
  lastTime = time;
  lastCount = count;
  bytes.writeUIntBE(time, 0, 6);
  bytes[6] = 0x70 | (count >> 8);
  bytes[7] = count & 0xff;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An id as given by a client, in the lower-case form we store; null when it cannot be one. */
export function canonicalId(text: string): string | null {
  return UUID_PATTERN.test(text) ? text.toLowerCase() : null;
}
