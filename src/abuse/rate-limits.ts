import { isIP, isIPv4, isIPv6 } from 'node:net';
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

/**
 * An event counted before the work it limits (a password check): the verdict, how many events
 * the key had counted before this one in its window, and when that window ends. Counting first
 * is what keeps concurrent requests from all passing a limit that none of them has counted
 * against yet; an event that turns out not to count (the right password) is given back.
 */
export type Claim = Verdict & { before: number; windowEndsAt: number };

const ALLOWED: Verdict = Object.freeze({ allowed: true });

/** A key's count in its current window, and when (epoch ms) that window ends. */
export interface Tally {
  counted: number;
  endsAt: number;
}

/** Where a Counter keeps its tallies, each key under the counter's own prefix. */
interface Tallies {
  /** Counts one more for the key (in a new window if its last one ended): the tally after. */
  add(key: string): Promise<Tally>;
  /** Takes one back from the key's count, if its window is still the one ending at `endsAt`. */
  subtract(key: string, endsAt: number): Promise<void>;
  remove(key: string): Promise<void>;
}

const blocked = (tally: Tally): Verdict => ({
  allowed: false,
  retryAfter: Math.max(1, Math.ceil((tally.endsAt - Date.now()) / 1000)),
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

  /** Counts one event; refused when it goes over the limit. */
  async hit(key: string): Promise<Verdict> {
    return this.tallies ? this.verdict(await this.tallies.add(key)) : ALLOWED;
  }

  /** Counts one event that may be given back (giveBack); refused when it goes over the limit. */
  async take(key: string): Promise<Claim> {
    if (!this.tallies) return { ...ALLOWED, before: 0, windowEndsAt: 0 };
    return this.claim(await this.tallies.add(key));
  }

  /** Takes back the event `claim` counted, unless its window has ended since (nothing to undo). */
  async giveBack(key: string, claim: Claim): Promise<void> {
    if (this.tallies && claim.windowEndsAt > Date.now()) {
      await this.tallies.subtract(key, claim.windowEndsAt);
    }
  }

  async reset(key: string): Promise<void> {
    await this.tallies?.remove(key);
  }

  /** hit()'s answer for a key whose tally after counting one is `tally`. */
  verdict(tally: Tally): Verdict {
    return tally.counted > this.count ? blocked(tally) : ALLOWED;
  }

  /** take()'s answer for a key whose tally after counting one is `tally`. */
  claim(tally: Tally): Claim {
    return { ...this.verdict(tally), before: tally.counted - 1, windowEndsAt: tally.endsAt };
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

  async add(key: string): Promise<Tally> {
    try {
      return limiterTally(await this.limiter.consume(key, 1));
    } catch (rejection) {
      // Over its points the limiter rejects, with the count it kept.
      if (rejection instanceof RateLimiterRes) return limiterTally(rejection);
      throw rejection;
    }
  }

  async subtract(key: string): Promise<void> {
    // The stores keep no window's identity, only its time left: giveBack checked it has some.
    // A key reset meanwhile (a right login forgets its count) comes back at -1: one is added
    // again, so that no key starts a window with a guess in hand.
    const after = await this.limiter.reward(key, 1);
    if (after.consumedPoints < 0) await this.limiter.penalty(key, 1);
  }

  async remove(key: string): Promise<void> {
    await this.limiter.delete(key);
  }
}

const limiterTally = (result: RateLimiterRes): Tally => ({
  counted: result.consumedPoints,
  endsAt: Date.now() + result.msBeforeNext,
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
 * nothing answered. Its parameters are PostgresTallies.countOne's with the condition's own. The
 * key may be an expression over `from` instead (a user's key from the user found): its
 * parameters are then countOne's `key`.
 */
export const countOneWhere = (from: string, condition: string, key = '?::varchar'): string =>
  'insert into rate_limits (key, points, expire) ' +
  `select ${key}, 1, ?::bigint from ${from} where ${condition} ${COUNTED}`;

const TALLY = {
  add: portableStatement('rate_limit_add', COUNT_ONE),
  subtract: portableStatement(
    'rate_limit_subtract',
    'update rate_limits set points = points - 1 where key = ? and expire = ? and points > 0',
  ),
  remove: portableStatement('rate_limit_remove', 'delete from rate_limits where key = ?'),
};

export class PostgresTallies implements Tallies {
  constructor(
    private readonly statements: PreparedStatements,
    private readonly prefix: string,
    private readonly windowMs: number,
  ) {}

  async add(key: string): Promise<Tally> {
    const [row] = await this.statements.write<TallyRow>(TALLY.add, this.countOne(key, Date.now()));
    return tallyOf(row!);
  }

  async subtract(key: string, endsAt: number): Promise<void> {
    await this.statements.write(TALLY.subtract, [this.stored(key), endsAt]);
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
   * of countOneWhere's condition, for that statement. `key` may instead be the parameters of
   * countOneWhere's key expression.
   */
  countOne(key: string | readonly unknown[], now: number, condition: readonly unknown[] = []) {
    const keyParameters = typeof key === 'string' ? [this.stored(key)] : key;
    return [...keyParameters, now + this.windowMs, ...condition, now, now];
  }
}

/** A tally's row; pg gives `bigint` columns as text. */
export interface TallyRow {
  points: number;
  expire: string;
}

export const tallyOf = (row: TallyRow): Tally => ({
  counted: row.points,
  endsAt: Number(row.expire),
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
  /** Mails (links, and notices of an email change), per recipient address (RATE_LIMIT_MAIL). */
  readonly mailRecipient: Counter;
  /**
   * Requests for mail (requestPasswordReset, requestEmailVerification, email changes), per client
   * address (RATE_LIMIT_MAIL).
   */
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
 * An address as a proxy writes it into X-Forwarded-For: an IP, maybe with its port
 * ("203.0.113.7:41234", "[2001:db8::1]:443"); null for anything else. An IPv6 zone ("%eth0")
 * names an interface of the writer's own host, never a client's address, and Node's isIP takes
 * one of any length: refused.
 */
function forwardedIp(hop: string): string | null {
  if (hop.includes('%')) return null;
  if (isIP(hop)) return hop;
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(hop)?.[1];
  if (bracketed && isIPv6(bracketed)) return bracketed;
  const withPort = /^([\d.]+):\d+$/.exec(hop)?.[1];
  return withPort && isIPv4(withPort) ? withPort : null;
}

/**
 * The client's address: the socket's, or with TRUST_PROXY=n the address the outermost of our n
 * trusted proxies saw (the n-th X-Forwarded-For entry from the right). An entry that is no
 * address (the client's own text, when TRUST_PROXY counts more proxies than there are) is not
 * used: the socket's address stands, the nearest proxy's.
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
    const hop = hops[Math.max(0, hops.length - trustedHops)];
    if (hop) address = forwardedIp(hop) ?? address;
  }
  if (!isIPv6(address)) return address;
  // An IPv4 client seen through an IPv6 socket or proxy (::ffff:a.b.c.d, in any of its spellings:
  // ::FFFF:..., 0:0:0:0:0:ffff:..., ::ffff:cb00:710c) is that IPv4 client, counted as one.
  const groups = ipv6Groups(address);
  const mapped = groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff;
  return mapped
    ? [groups[6]! >> 8, groups[6]! & 255, groups[7]! >> 8, groups[7]! & 255].join('.')
    : address;
}

/** What an address is counted as: IPv6 clients get a whole /64, as one host usually does. */
export function addressKey(address: string): string {
  if (!isIPv6(address)) return address;
  const prefix = ipv6Groups(address).slice(0, 4);
  return `${prefix.map((group) => group.toString(16)).join(':')}::/64`;
}

/**
 * The eight 16-bit groups of an address isIPv6 accepts: `::` expanded, a dotted IPv4 tail read as
 * the last two, a socket's link-local zone (`%eth0`) dropped, since the host is the same either way.
 */
function ipv6Groups(address: string): number[] {
  const bare = address.split('%')[0]!;
  const [head = '', tail = ''] = bare.split('::');
  const parts = (text: string) =>
    text
      ? text.split(':').flatMap((part) => {
          if (!part.includes('.')) return [parseInt(part, 16)];
          const [a = 0, b = 0, c = 0, d = 0] = part.split('.').map(Number);
          return [(a << 8) | b, (c << 8) | d];
        })
      : [];
  const left = parts(head);
  const right = parts(tail);
  return bare.includes('::')
    ? [...left, ...Array<number>(Math.max(0, 8 - left.length - right.length)).fill(0), ...right]
    : left;
}
