import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { availableParallelism } from 'node:os';
import addressparser from 'nodemailer/lib/addressparser';
import { levels } from 'pino';

/** A configuration problem: start-up stops with this one-line message, which names the variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

export type Database = (
  | { dialect: 'sqlite'; file: string } // file is ':memory:' for an in-memory database
  | {
      dialect: 'postgresql';
      /** The connection URL without our own `schema` parameter. */
      url: string;
      /** `?schema=NAME`: tables live there (search_path) instead of in `public`. */
      schema: string | null;
      /** Milliseconds any one statement may run (DATABASE_STATEMENT_TIMEOUT). */
      statementTimeoutMs: number;
    }
) & {
  /** Connections kept open. SQLite in WAL mode reads on all of them at once; one writes at a time. */
  poolSize: number;
};

export interface Argon2Settings {
  memoryCost: number; // KiB
  timeCost: number;
  parallelism: number;
}

/** `COUNT/WINDOW`: at most `count` events per `seconds`. */
export interface RateWindow {
  count: number;
  seconds: number;
}

export interface RateLimits {
  /** False only with RATE_LIMIT=off (load tests, test suites). */
  enabled: boolean;
  loginAccount: RateWindow;
  loginAddress: RateWindow;
  registerAddress: RateWindow;
  passwordCheck: RateWindow;
  /** Mails per email address, and mail requests per client address (RATE_LIMIT_MAIL). */
  mail: RateWindow;
}

export interface MailSettings {
  /** SMTP_URL: smtp://user:pass@host:587 or smtps://...; null writes .eml files to `outbox`. */
  smtpUrl: string | null;
  /** MAIL_FROM: the sender of every mail. */
  from: string;
  /** MAIL_OUTBOX: the folder of .eml files when there is no SMTP_URL. */
  outbox: string;
  /** APP_URL without a trailing slash: links are APP_URL/verify-email?token=... and so on. */
  appUrl: string;
  /** Seconds a password-reset token lives (PASSWORD_RESET_TTL). */
  passwordResetTtl: number;
  /** Seconds an email-verification token lives (EMAIL_VERIFICATION_TTL). */
  verificationTtl: number;
  /** REQUIRE_EMAIL_VERIFICATION: login of an unverified user is 1024. */
  requireVerification: boolean;
}

export interface Config {
  production: boolean;
  port: number;
  host: string;
  /** SHUTDOWN_DELAY in ms: after SIGTERM, /ready answers 503 this long before the listener closes. */
  shutdownDelayMs: number;
  database: Database;
  jwt: {
    secret: Uint8Array;
    issuer: string;
    audience: string;
    accessTokenTtl: number; // seconds
  };
  sessions: {
    refreshTokenTtl: number; // seconds
    reuseInterval: number; // seconds; 0 is strict single use
  };
  argon2: Argon2Settings;
  /** Password hashes computed at once; the rest wait their turn (each holds ARGON2_MEMORY_KIB). */
  hashConcurrency: number;
  /** libuv threadpool threads wanted: every database connection and every hash at once, plus two. */
  threadpoolSize: number;
  admin: { email: string; password: string } | null;
  introspection: boolean;
  playground: boolean;
  maxBodyBytes: number;
  logLevel: string;
  rateLimits: RateLimits;
  /** How many proxy hops in front of us to trust in X-Forwarded-For (0: use the socket's address). */
  trustProxy: number;
  /** Login answers an unknown account exactly as a wrong password. */
  hideAccountExistence: boolean;
  /** REDIS_URL: rate-limit counters there, shared by every instance (else memory or PostgreSQL). */
  redisUrl: string | null;
  mail: MailSettings;
  /** CORS_ORIGINS: web origins whose pages may call /graphql; '*' any; empty: same origin only. */
  corsOrigins: ReadonlySet<string> | '*';
}

/**
 * OWASP's minimums for argon2id (Password Storage Cheat Sheet): five settings of equal defence that
 * trade memory for passes, one lane each. Memory in KiB, with the fewest passes allowed at it.
 */
const OWASP_ARGON2ID: readonly { memoryCost: number; timeCost: number }[] = [
  { memoryCost: 47104, timeCost: 1 },
  { memoryCost: 19456, timeCost: 2 },
  { memoryCost: 12288, timeCost: 3 },
  { memoryCost: 9216, timeCost: 4 },
  { memoryCost: 7168, timeCost: 5 },
];

/**
 * OWASP's 7 MiB row. Each hash holds its memory for its run, and on 2 cores the 7 MiB row hashed
 * 30% more passwords a second than the 19 MiB one (its block stays in the CPU's cache).
 */
const ARGON2_DEFAULT_MEMORY_KIB = 7168;

type Env = Record<string, string | undefined>;

const DURATION_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** `30s`, `15m`, `2h`, `7d` or a whole number of seconds; `allowZero` for intervals that may be 0. */
export function parseDuration(name: string, raw: string, allowZero = false): number {
  const match = /^(\d+)([smhd]?)$/.exec(raw.trim());
  if (!match) {
    throw new ConfigError(
      `${name} must be a duration such as 30s, 15m, 2h, 7d or seconds; got "${raw}"`,
    );
  }
  const seconds = Number(match[1]) * (DURATION_UNITS[match[2] || 's'] ?? 1);
  if (!Number.isSafeInteger(seconds) || (seconds === 0 && !allowZero)) {
    throw new ConfigError(`${name} must be a positive duration; got "${raw}"`);
  }
  return seconds;
}

function rateWindow(env: Env, name: string, fallback: string): RateWindow {
  const raw = env[name]?.trim() || fallback;
  const match = /^(\d+)\/(.+)$/.exec(raw);
  const count = match ? Number(match[1]) : NaN;
  if (!match || !Number.isSafeInteger(count) || count < 1) {
    throw new ConfigError(`${name} must be COUNT/WINDOW such as 20/15m; got "${raw}"`);
  }
  const seconds = parseDuration(name, match[2]!);
  // The in-memory counters (SQLite) forget a window with a timer, and Node fires one set for
  // longer than 2^31 ms (24.8 days) at once: the limit would count nothing.
  if (seconds > MAX_WINDOW_SECONDS) {
    throw new ConfigError(`${name}'s window must be at most 24d; got "${raw}"`);
  }
  return { count, seconds };
}

const MAX_WINDOW_SECONDS = 24 * 24 * 3600;

/** SHUTDOWN_DELAY in seconds: at most an hour (a timer cannot wait much longer than 24 days). */
function shutdownDelay(env: Env): number {
  const seconds = parseDuration('SHUTDOWN_DELAY', env.SHUTDOWN_DELAY || '0', true);
  if (seconds > 3600) {
    throw new ConfigError(`SHUTDOWN_DELAY must be at most 1h; got "${env.SHUTDOWN_DELAY}"`);
  }
  return seconds;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || value < min || value > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max}; got "${raw}"`);
  }
  return value;
}

function redisUrl(raw: string | undefined): string | null {
  const value = raw?.trim();
  if (!value) return null;
  if (!/^rediss?:\/\/[^\s]+$/.test(value)) {
    throw new ConfigError('REDIS_URL must be redis://host:port (or rediss://); got another form');
  }
  return value;
}

/**
 * MAIL_FROM: one mailbox, with or without a display name. Its address is every mail's SMTP sender
 * too, so a name alone would send mail with an empty sender, which servers refuse or cannot bounce.
 */
function mailFrom(raw: string | undefined): string {
  const from = raw?.trim() || 'Account API <no-reply@localhost>';
  const parsed = addressparser(from);
  const mailbox = parsed.length === 1 ? parsed[0] : undefined;
  if (!mailbox?.address || !/^[^@\s]+@[^@\s]+$/.test(mailbox.address)) {
    throw new ConfigError(
      'MAIL_FROM must be one address, as "Name <accounts@example.com>" or "accounts@example.com"',
    );
  }
  return from;
}

function smtpUrl(raw: string | undefined): string | null {
  const value = raw?.trim();
  if (!value) return null;
  let url: URL | null = null;
  try {
    url = new URL(value);
  } catch {
    url = null;
  }
  // The URL may hold a password: the message never repeats it.
  if (!url || !['smtp:', 'smtps:'].includes(url.protocol) || !url.hostname) {
    throw new ConfigError('SMTP_URL must be smtp://[user:pass@]host[:port] or smtps://...');
  }
  return value;
}

function appUrl(raw: string | undefined, port: number): string {
  const value = raw?.trim() || `http://localhost:${port}`;
  let url: URL | null = null;
  try {
    url = new URL(value);
  } catch {
    url = null;
  }
  if (!url || !['http:', 'https:'].includes(url.protocol) || url.search || url.hash) {
    throw new ConfigError(
      `APP_URL must be an http(s) URL without ?query or #fragment; got "${value}"`,
    );
  }
  return value.replace(/\/+$/, '');
}

/** pino's levels, most verbose first, and `silent`, which pino takes for "log nothing". */
const LOG_LEVELS = [
  ...Object.entries(levels.values)
    .sort(([, a], [, b]) => a - b)
    .map(([name]) => name),
  'silent',
];

/** LOG_LEVEL, in any case (pino lower-cases it too); an unknown one would fail inside pino. */
function logLevel(raw: string | undefined): string {
  const level = raw?.trim().toLowerCase() || 'info';
  if (!LOG_LEVELS.includes(level)) {
    throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}; got "${raw}"`);
  }
  return level;
}

function flag(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (['true', '1', 'yes', 'on'].includes(raw)) return true;
  if (['false', '0', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(`${name} must be true or false; got "${env[name]}"`);
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

function parseDatabase(raw: string, poolSize: number, statementTimeoutMs: number): Database {
  if (raw.startsWith('sqlite:')) {
    const file = raw.slice('sqlite:'.length);
    if (file === '')
      throw new ConfigError('DATABASE_URL sqlite: needs a path, e.g. sqlite:data/accounts.sqlite');
    // An in-memory database exists once per connection, so it gets exactly one.
    if (file === ':memory:') return { dialect: 'sqlite', file, poolSize: 1 };
    return { dialect: 'sqlite', file: resolve(file), poolSize };
  }
  if (/^postgres(ql)?:\/\//.test(raw)) {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new ConfigError('DATABASE_URL is not a valid postgres:// URL');
    }
    const schema = url.searchParams.get('schema');
    if (schema !== null && !SCHEMA_NAME.test(schema)) {
      throw new ConfigError(
        `DATABASE_URL schema must be a lower-case PostgreSQL identifier; got "${schema}"`,
      );
    }
    url.searchParams.delete('schema');
    return { dialect: 'postgresql', url: url.toString(), schema, statementTimeoutMs, poolSize };
  }
  throw new ConfigError(
    `DATABASE_URL must be sqlite:PATH, sqlite::memory: or postgres://...; got "${raw.split(':')[0]}:..."`,
  );
}

/**
 * Outside production a missing JWT_SECRET is generated once and kept beside the SQLite file,
 * so tokens survive restarts; an in-memory database gets a secret that lives as long as the process.
 */
function developmentSecret(database: Database): Uint8Array {
  if (database.dialect === 'sqlite' && database.file === ':memory:') return randomBytes(32);
  const folder = database.dialect === 'sqlite' ? dirname(database.file) : resolve('data');
  const file = join(folder, 'jwt-secret');
  if (existsSync(file)) {
    const stored = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64url');
    if (stored.length >= 32) return stored;
  }
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  const secret = randomBytes(32);
  writeFileSync(file, secret.toString('base64url') + '\n', { mode: 0o600 });
  chmodSync(file, 0o600);
  return secret;
}

/**
 * ARGON2_MEMORY_KIB / ARGON2_TIME_COST / ARGON2_PARALLELISM. The passes default to OWASP's fewest
 * for the memory chosen; fewer, or less memory than OWASP's smallest row, stop start-up.
 */
export function argon2Settings(env: Env = process.env): Argon2Settings {
  const smallest = OWASP_ARGON2ID[OWASP_ARGON2ID.length - 1]!.memoryCost;
  const memoryCost = integer(
    env,
    'ARGON2_MEMORY_KIB',
    ARGON2_DEFAULT_MEMORY_KIB,
    smallest,
    4194304,
  );
  const fewest = OWASP_ARGON2ID.find((row) => memoryCost >= row.memoryCost)!.timeCost;
  const timeCost = integer(env, 'ARGON2_TIME_COST', fewest, 1, 100);
  if (timeCost < fewest) {
    const rows = OWASP_ARGON2ID.map((row) => `${row.memoryCost} × ${row.timeCost}`).join(', ');
    throw new ConfigError(
      `ARGON2_TIME_COST must be at least ${fewest} with ARGON2_MEMORY_KIB=${memoryCost} ` +
        `(OWASP's minimums for argon2id, KiB × passes: ${rows}); got "${env.ARGON2_TIME_COST}"`,
    );
  }
  return { memoryCost, timeCost, parallelism: integer(env, 'ARGON2_PARALLELISM', 1, 1, 16) };
}

export function loadConfig(env: Env = process.env): Config {
  const production = env.NODE_ENV === 'production';
  const database = parseDatabase(
    env.DATABASE_URL?.trim() || 'sqlite:data/accounts.sqlite',
    integer(env, 'DATABASE_POOL_SIZE', 4, 1, 100),
    parseDuration('DATABASE_STATEMENT_TIMEOUT', env.DATABASE_STATEMENT_TIMEOUT || '10s') * 1000,
  );

  const rawSecret = env.JWT_SECRET;
  let secret: Uint8Array;
  if (rawSecret !== undefined && rawSecret !== '') {
    secret = new TextEncoder().encode(rawSecret);
    if (secret.length < 32) {
      throw new ConfigError(`JWT_SECRET must be at least 32 bytes; it has ${secret.length}`);
    }
  } else if (production) {
    throw new ConfigError('JWT_SECRET is required when NODE_ENV=production (at least 32 bytes)');
  } else {
    secret = developmentSecret(database);
  }

  const argon2 = argon2Settings(env);

  // One more hash than cores: when a hash finishes, the next is already on its thread instead of
  // a core idling until the event loop starts it. More only adds memory and latency.
  const hashConcurrency = integer(
    env,
    'PASSWORD_HASH_CONCURRENCY',
    availableParallelism() + 1,
    1,
    64,
  );

  const adminEmail = env.ADMIN_EMAIL?.trim();
  const adminPassword = env.ADMIN_PASSWORD;
  if (Boolean(adminEmail) !== Boolean(adminPassword)) {
    throw new ConfigError('ADMIN_EMAIL and ADMIN_PASSWORD must be set together');
  }

  const port = integer(env, 'PORT', 4000, 0, 65535);

  return {
    production,
    port,
    host: env.HOST?.trim() || '0.0.0.0',
    shutdownDelayMs: shutdownDelay(env) * 1000,
    database,
    jwt: {
      secret,
      issuer: env.JWT_ISSUER?.trim() || 'account-api',
      audience: env.JWT_AUDIENCE?.trim() || 'account-api',
      accessTokenTtl: parseDuration('ACCESS_TOKEN_TTL', env.ACCESS_TOKEN_TTL || '15m'),
    },
    sessions: {
      refreshTokenTtl: parseDuration('REFRESH_TOKEN_TTL', env.REFRESH_TOKEN_TTL || '30d'),
      reuseInterval: parseDuration(
        'REFRESH_TOKEN_REUSE_INTERVAL',
        env.REFRESH_TOKEN_REUSE_INTERVAL || '10s',
        true,
      ),
    },
    argon2,
    hashConcurrency,
    threadpoolSize: database.poolSize + hashConcurrency + 2,
    admin: adminEmail && adminPassword ? { email: adminEmail, password: adminPassword } : null,
    introspection: flag(env, 'GRAPHQL_INTROSPECTION', !production),
    playground: flag(env, 'GRAPHQL_PLAYGROUND', !production),
    maxBodyBytes: integer(env, 'MAX_BODY_BYTES', 100_000, 1024, 10_000_000),
    logLevel: logLevel(env.LOG_LEVEL),
    rateLimits: {
      enabled: env.RATE_LIMIT?.trim().toLowerCase() !== 'off',
      loginAccount: rateWindow(env, 'RATE_LIMIT_LOGIN_ACCOUNT', '20/15m'),
      loginAddress: rateWindow(env, 'RATE_LIMIT_LOGIN_ADDRESS', '100/15m'),
      registerAddress: rateWindow(env, 'RATE_LIMIT_REGISTER_ADDRESS', '10/1h'),
      passwordCheck: rateWindow(env, 'RATE_LIMIT_PASSWORD_CHECK', '10/15m'),
      mail: rateWindow(env, 'RATE_LIMIT_MAIL', '5/1h'),
    },
    trustProxy: integer(env, 'TRUST_PROXY', 0, 0, 10),
    hideAccountExistence: flag(env, 'HIDE_ACCOUNT_EXISTENCE', false),
    redisUrl: redisUrl(env.REDIS_URL),
    mail: {
      smtpUrl: smtpUrl(env.SMTP_URL),
      from: mailFrom(env.MAIL_FROM),
      outbox: resolve(env.MAIL_OUTBOX?.trim() || 'data/outbox'),
      appUrl: appUrl(env.APP_URL, port),
      passwordResetTtl: parseDuration('PASSWORD_RESET_TTL', env.PASSWORD_RESET_TTL || '30m'),
      verificationTtl: parseDuration('EMAIL_VERIFICATION_TTL', env.EMAIL_VERIFICATION_TTL || '24h'),
      requireVerification: flag(env, 'REQUIRE_EMAIL_VERIFICATION', false),
    },
    corsOrigins: corsOrigins(env.CORS_ORIGINS),
  };
}

/**
 * CORS_ORIGINS: `*`, or origins separated by commas, each as a browser sends it in `Origin`:
 * scheme, host and a port if not the scheme's own (`https://app.example`,
 * `http://localhost:5173`), lower-case, no path and no trailing slash.
 */
function corsOrigins(raw: string | undefined): ReadonlySet<string> | '*' {
  const text = raw?.trim() ?? '';
  if (text === '*') return '*';
  const origins = new Set<string>();
  for (const entry of text.split(',').map((part) => part.trim())) {
    if (entry === '') continue;
    const url = URL.canParse(entry) ? new URL(entry) : null;
    if (!url || !/^https?:$/.test(url.protocol) || url.origin !== entry) {
      throw new ConfigError(
        'CORS_ORIGINS must be * or origins such as https://app.example,http://localhost:5173 ' +
          `(scheme, host and port only, as a browser writes them); got "${entry}"`,
      );
    }
    origins.add(entry);
  }
  return origins;
}
