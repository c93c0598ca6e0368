import { isIPv6 } from 'node:net';
import { type EntityManager } from '@mikro-orm/core';
import { type SqlEntityManager } from '@mikro-orm/knex';
import type Redis from 'ioredis';
import {
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';
import { type RateLimits as RateLimitSettings, type RateWindow } from '../config';
import { portableStatement, type PreparedStatements } from '../db/prepared-statements';

export type Verdict = { allowed: true } | { allowed: false; retryAfter: number };
/** A verdict, and how many events the key has counted in its current window. */
export type Standing = Verdict & { counted: number };

const ALLOWED: Verdict = Object.freeze({ allowed: true });
/** A key never counted (or no limit at all): allowed, nothing counted. */
const UNCOUNTED: Standing = Object.freeze({ allowed: true, counted: 0 });

/** A key's count in its current window, and the milliseconds left of that window. */
export interface Tally {
  counted: number;
  msLeft: number;
}

/** Where a Counter keeps its tallies, each key under the counter's own prefix. */
interface Tallies {
  /** The key's tally, or null when it has none in a current window. */
  get(key: string): Promise<Tally | null>;
  /** Counts one more for the key (in a new window if its last one ended): the tally after. */
  add(key: string): Promise<Tally>;
  remove(key: string): Promise<void>;
}

const blocked = (tally: Tally): Verdict => ({
  allowed: false,
  retryAfter: Math.max(1, Math.ceil(tally.msLeft / 1000)),
});

/**
 * COUNT events per WINDOW for each key, in memory for one instance, or in PostgreSQL or Redis
 * shared by several.
 */
export class Counter {
  constructor(
    private readonly tallies: Tallies | null,
    /** The events each key may count in a window: one more is refused. */
    readonly count: number,
  ) {}

  /** Whether the key is already at its limit, counting nothing. */
  async check(key: string): Promise<Standing> {
    return this.standing((await this.tallies?.get(key)) ?? null);
  }

  /** Counts one event; refused when it goes over the limit. */
  async hit(key: string): Promise<Verdict> {
    return this.tallies ? this.verdict(await this.tallies.add(key)) : ALLOWED;
  }

  async reset(key: string): Promise<void> {
    await this.tallies?.remove(key);
  }

  /** check()'s answer for a key whose tally was read (null: none in a current window). */
  standing(tally: Tally | null): Standing {
    if (!tally) return UNCOUNTED;
    const { counted } = tally;
    return { ...(counted >= this.count ? blocked(tally) : ALLOWED), counted };
  }

  /** hit()'s answer for a key whose tally after counting one is `tally`. */
  verdict(tally: Tally): Verdict {
    return tally.counted > this.count ? blocked(tally) : ALLOWED;
  }

  /**
   * This counter's tallies when they are PostgreSQL's, for a statement that counts or reads them
   * along with other work (a login's reads, src/accounts/login-reads.ts; a registration's,
   * src/accounts/registration-reads.ts); null in memory or Redis, or with the limits off.
   */
  get inPostgres(): PostgresTallies | null {
    return this.tallies instanceof PostgresTallies ? this.tallies : null;
  }
}

/** rate-limiter-flexible's stores (memory, Redis) as Tallies. */
class LimiterTallies implements Tallies {
  constructor(private readonly limiter: RateLimiterAbstract) {}

  async get(key: string): Promise<Tally | null> {
    const result = await this.limiter.get(key);
    return result && limiterTally(result);
  }

  async add(key: string): Promise<Tally> {
    try {
      return limiterTally(await this.limiter.consume(key, 1));
    } catch (rejection) {
      // Over its points the limiter rejects, with the count it kept.
      if (rejection instanceof RateLimiterRes) return limiterTally(rejection);
      throw rejection;
    }
  }

  async remove(key: string): Promise<void> {
    await this.limiter.delete(key);
  }
}

const limiterTally = (result: RateLimiterRes): Tally => ({
  counted: result.consumedPoints,
  msLeft: result.msBeforeNext,
});

/**
 * The `rate_limits` table (key, points, expire in epoch ms) that every instance on the database
 * shares. Its layout and keys (`prefix:key`) are rate-limiter-flexible's, whose PostgreSQL store
 * kept them before, so instances of either version count together during an upgrade. Its
 * statements are PreparedStatements: prepared once per connection, run with pg's callback form,
 * no knex around them (rate-limiter-flexible's store ran each through knex with pg's promise
 * form: docs/speed.md).
 *
 * COUNT_ONE counts one for a key, in a new window if its last one ended, and answers the tally
 * after; its parameters are PostgresTallies.countOne's.
 */
const COUNTED =
  'on conflict (key) do update ' +
  'set points = case when rate_limits.expire <= ? then 1 else rate_limits.points + 1 end, ' +
  'expire = case when rate_limits.expire <= ? then excluded.expire else rate_limits.expire end ' +
  'returning points, expire';
export const COUNT_ONE = `insert into rate_limits (key, points, expire) values (?, 1, ?) ${COUNTED}`;

/**
 * COUNT_ONE, counted only where `condition` holds over the rows of `from` (in a statement that
 * counts along with other work, the answers of its other clauses): no row, nothing counted and
 * nothing answered. Its parameters are PostgresTallies.countOne's with the condition's own.
 */
export const countOneWhere = (from: string, condition: string): string =>
  'insert into rate_limits (key, points, expire) ' +
  `select ?::varchar, 1, ?::bigint from ${from} where ${condition} ${COUNTED}`;

const TALLY = {
  add: portableStatement('rate_limit_add', COUNT_ONE),
  get: portableStatement(
    'rate_limit_get',
    'select points, expire from rate_limits where key = ? and expire > ?',
  ),
  remove: portableStatement('rate_limit_remove', 'delete from rate_limits where key = ?'),
};

export class PostgresTallies implements Tallies {
  constructor(
    private readonly statements: PreparedStatements,
    private readonly prefix: string,
    private readonly windowMs: number,
  ) {}

  async get(key: string): Promise<Tally | null> {
    const now = Date.now();
    const row = await this.statements.first<TallyRow>(TALLY.get, [this.stored(key), now]);
    return row ? tallyOf(row, now) : null;
  }

  async add(key: string): Promise<Tally> {
    const now = Date.now();
    const [row] = await this.statements.write<TallyRow>(TALLY.add, this.countOne(key, now));
    return tallyOf(row!, now);
  }

  async remove(key: string): Promise<void> {
    await this.statements.write(TALLY.remove, [this.stored(key)]);
  }

  /** The key as the table holds it. */
  stored(key: string): string {
    return `${this.prefix}:${key}`;
  }

  /**
   * COUNT_ONE's parameters, to count one for the key at `now`; with `condition`, the parameters
   * of countOneWhere's condition, for that statement.
   */
  countOne(key: string, now: number, condition: readonly unknown[] = []): unknown[] {
    return [this.stored(key), now + this.windowMs, ...condition, now, now];
  }
}

/** A tally's row, read at `now`; pg gives `bigint` columns as text. */
export interface TallyRow {
  points: number;
  expire: string;
}

export const tallyOf = (row: TallyRow, now: number): Tally => ({
  counted: row.points,
  msLeft: Math.max(0, Number(row.expire) - now),
});

/**
 * Deletes the PostgreSQL tallies whose window has ended (each instance's sweep, with sessions and
 * email tokens): a key counted again starts a new window, with or without its old row.
 */
export async function sweepTallies(em: EntityManager): Promise<number> {
  const result = await (em as SqlEntityManager)
    .getConnection()
    .execute<{ affectedRows: number }>(
      'delete from rate_limits where expire <= ?',
      [Date.now()],
      'run',
    );
  return result.affectedRows;
}

/**
 * Where the counters live. One instance may keep them in memory; several must share them, or
 * each would allow the full count: in PostgreSQL (the `rate_limits` table of the deployment's
 * schema) or in Redis (keys under `prefix`).
 */
export type CounterStore =
  | { kind: 'memory' }
  | { kind: 'postgresql'; statements: PreparedStatements }
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
    const tallies = (keyPrefix: string, window: RateWindow): Tallies => {
      const limits = { keyPrefix, points: window.count, duration: window.seconds };
      switch (store.kind) {
        case 'memory':
          return new LimiterTallies(new RateLimiterMemory(limits));
        case 'postgresql':
          return new PostgresTallies(store.statements, keyPrefix, window.seconds * 1000);
        case 'redis':
          return new LimiterTallies(
            new RateLimiterRedis({
              ...limits,
              keyPrefix: `${store.prefix}:${keyPrefix}`,
              storeClient: store.client,
            }),
          );
      }
    };
    const counter = (keyPrefix: string, window: RateWindow): Counter =>
      new Counter(settings.enabled ? tallies(keyPrefix, window) : null, window.count);
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
