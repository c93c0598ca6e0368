import { isIPv6 } from 'node:net';
import { type Knex } from '@mikro-orm/postgresql';
import type Redis from 'ioredis';
import {
  RateLimiterMemory,
  RateLimiterPostgres,
  RateLimiterRedis,
  RateLimiterRes,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';
import { type RateLimits as RateLimitSettings, type RateWindow } from '../config';

export type Verdict = { allowed: true } | { allowed: false; retryAfter: number };
/** A verdict, and how many events the key has counted in its current window. */
export type Standing = Verdict & { counted: number };

const ALLOWED: Verdict = Object.freeze({ allowed: true });
/** A key never counted (or no limit at all): allowed, nothing counted. */
const UNCOUNTED: Standing = Object.freeze({ allowed: true, counted: 0 });

const blocked = (result: RateLimiterRes): Verdict => ({
  allowed: false,
  retryAfter: Math.max(1, Math.ceil(result.msBeforeNext / 1000)),
});

/**
 * COUNT events per WINDOW for each key. The store is rate-limiter-flexible's: memory for one
 * instance; the same interface takes its PostgreSQL or Redis stores for several.
 */
export class Counter {
  constructor(
    private readonly limiter: RateLimiterAbstract | null,
    private readonly count: number,
  ) {}

  /** Whether the key is already at its limit, counting nothing. */
  async check(key: string): Promise<Standing> {
    if (!this.limiter) return UNCOUNTED;
    const result = await this.limiter.get(key);
    if (!result) return UNCOUNTED;
    const counted = result.consumedPoints;
    return { ...(counted >= this.count ? blocked(result) : ALLOWED), counted };
  }

  /** Counts one event; refused when it goes over the limit. */
  async hit(key: string): Promise<Verdict> {
    if (!this.limiter) return ALLOWED;
    try {
      await this.limiter.consume(key, 1);
      return ALLOWED;
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) return blocked(rejection);
      throw rejection;
    }
  }

  async reset(key: string): Promise<void> {
    await this.limiter?.delete(key);
  }
}

/**
 * Where the counters live. One instance may keep them in memory; several must share them, or
 * each would allow the full count: in PostgreSQL (the `rate_limits` table of the deployment's
 * schema) or in Redis (keys under `prefix`).
 */
export type CounterStore =
  | { kind: 'memory' }
  | { kind: 'postgresql'; knex: Knex; schema: string | null }
  | { kind: 'redis'; client: Redis; prefix: string };

/** The limits of CONTRACT section 7, each a Counter. */
export class RateLimits {
  readonly loginAccount: Counter;
  readonly loginAddress: Counter;
  readonly registerAddress: Counter;
  readonly passwordCheck: Counter;
  /** Mails with a link, per recipient address (RATE_LIMIT_MAIL). */
  readonly mailRecipient: Counter;
  /** requestPasswordReset and requestEmailVerification, per client address (RATE_LIMIT_MAIL). */
  readonly mailClient: Counter;

  constructor(settings: RateLimitSettings, store: CounterStore = { kind: 'memory' }) {
    const limiter = (keyPrefix: string, window: RateWindow): RateLimiterAbstract => {
      const limits = { keyPrefix, points: window.count, duration: window.seconds };
      switch (store.kind) {
        case 'memory':
          return new RateLimiterMemory(limits);
        case 'postgresql':
          // The table comes with the migrations (creating it here would race other instances).
          return new RateLimiterPostgres({
            ...limits,
            storeClient: store.knex,
            storeType: 'knex',
            tableName: 'rate_limits',
            ...(store.schema ? { schemaName: store.schema } : {}),
            tableCreated: true,
          });
        case 'redis':
          return new RateLimiterRedis({
            ...limits,
            keyPrefix: `${store.prefix}:${keyPrefix}`,
            storeClient: store.client,
          });
      }
    };
    const counter = (keyPrefix: string, window: RateWindow): Counter =>
      new Counter(settings.enabled ? limiter(keyPrefix, window) : null, window.count);
    this.loginAccount = counter('login-account', settings.loginAccount);
    this.loginAddress = counter('login-address', settings.loginAddress);
    this.registerAddress = counter('register-address', settings.registerAddress);
    this.passwordCheck = counter('password-check', settings.passwordCheck);
    this.mailRecipient = counter('mail-recipient', settings.mail);
    this.mailClient = counter('mail-client', settings.mail);
  }
}

/**
 * The client's address: the socket's, or with TRUST_PROXY=n the address the outermost of our n
 * trusted proxies saw (the n-th X-Forwarded-For entry from the right).
 */
export function clientAddress(
  socketAddress: string | undefined,
  forwardedFor: string | undefined,
  trustedHops: number,
): string {
  let address = socketAddress ?? '';
  if (trustedHops > 0 && forwardedFor) {
    const hops = forwardedFor
      .split(',')
      .map((hop) => hop.trim())
      .filter(Boolean);
    if (hops.length > 0) address = hops[Math.max(0, hops.length - trustedHops)]!;
  }
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/** What an address is counted as: IPv6 clients get a whole /64, as one host usually does. */
export function addressKey(address: string): string {
  if (!isIPv6(address)) return address;
  const [head = '', tail = ''] = address.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = address.includes('::')
    ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((group) => group.toLowerCase().replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
