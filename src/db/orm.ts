import {
  type IDatabaseDriver,
  type MigrationObject,
  type Options,
  MikroORM,
} from '@mikro-orm/core';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { Migrator } from '@mikro-orm/migrations';
import {
  defineConfig as definePostgreSqlConfig,
  type PostgreSqlDriver,
} from '@mikro-orm/postgresql';
import { defineConfig, type SqliteDriver } from '@mikro-orm/sqlite';
import { User } from '../accounts/user.entity';
import { Session } from '../sessions/session.entity';
import { EmailToken } from '../mail/email-tokens';
import { Client } from 'pg';
import { type Database } from '../config';
import { type Logger, safeError } from '../logger';
import { every, type Periodic } from '../periodic';
import { postgresqlMigrations } from '../migrations/postgresql';
import { sqliteMigrations } from '../migrations/sqlite';
import { SingleWriterSqliteDriver } from './sqlite-driver';

export const ENTITIES = [User, Session, EmailToken];

/** What both dialects share. */
const COMMON = {
  entities: ENTITIES,
  extensions: [Migrator],
  discovery: { disableDynamicFileAccess: true, requireEntitiesArray: true },
  allowGlobalContext: false,
  forceUtcTimezone: true,
};

/** One folder of committed migrations per dialect, applied in one transaction at start-up. */
function migrations(dialect: 'sqlite' | 'postgresql', migrationsList: MigrationObject[]) {
  return {
    migrationsList,
    path: `src/migrations/${dialect}`,
    snapshotName: `.snapshot-${dialect}`,
    transactional: true,
    allOrNothing: true,
    silent: true,
    // The snapshot is for `migration:create` (the CLI configs turn it on); at start-up writing
    // it would inspect the whole database and rewrite a file in src/.
    snapshot: false,
  };
}

interface SqliteConnection {
  exec(sql: string, callback: (error: Error | null) => void): void;
}

/**
 * SQLite: WAL so readers never wait for the writer, a busy timeout instead of SQLITE_BUSY errors,
 * foreign keys on (MikroORM sets those itself only on its first connection), and no checkpoint
 * inside a commit: startCheckpoints runs them instead.
 */
const SQLITE_PRAGMAS = [
  'pragma journal_mode = WAL',
  'pragma synchronous = NORMAL',
  'pragma busy_timeout = 5000',
  'pragma foreign_keys = ON',
  'pragma wal_autocheckpoint = 0',
].join(';');

/** How often a server on SQLite copies its WAL into the database file. */
export const CHECKPOINT_EVERY_MS = 1000;

/**
 * Left to itself, SQLite checkpoints inside the commit that takes the WAL past 1,000 pages: that
 * write copies the WAL into the database file and waits for the disk, and every write queued
 * behind it waits too. On the Zen 2 EPYC of 2026-12-03 that sync took 10-11 ms, four times in 8 s
 * of `updateProfile`, and put its p99 at 70% load at 4-13 times its p50. Here a timer runs a
 * PASSIVE checkpoint in a statement of its own, on another connection: it copies what no reader
 * still needs and syncs while writers go on appending to the WAL (p99 / p50 2.0-2.4 in five of
 * six alternating rounds, against 3.6-13 with SQLite's own).
 */
export function startCheckpoints(orm: MikroORM, logger: Logger): Periodic {
  return every(CHECKPOINT_EVERY_MS, () =>
    orm.em
      .getConnection()
      .execute('pragma wal_checkpoint(PASSIVE)')
      .catch((error: unknown) => logger.warn({ err: safeError(error) }, 'WAL checkpoint failed')),
  );
}

export function sqliteOptions(file: string, poolSize = 1): Options<SqliteDriver> {
  return defineConfig({
    dbName: file,
    driver: SingleWriterSqliteDriver,
    ...COMMON,
    pool: {
      min: 1,
      max: poolSize,
      afterCreate(
        connection: SqliteConnection,
        done: (error: Error | null, connection: unknown) => void,
      ) {
        connection.exec(SQLITE_PRAGMAS, (error) => done(error, connection));
      },
    },
    migrations: migrations('sqlite', sqliteMigrations),
  });
}

interface PostgresConnection {
  query(sql: string, callback: (error: Error | null) => void): void;
}

/**
 * PostgreSQL: every connection gets the statement timeout and, with `?schema=NAME`, a search_path,
 * so unqualified table names (and the migrations, which name none) land in that schema.
 */
export function postgresqlOptions(
  database: Extract<Database, { dialect: 'postgresql' }>,
  logger?: Logger,
): Options<PostgreSqlDriver> {
  const setup = [
    `set statement_timeout = ${Math.trunc(database.statementTimeoutMs)}`,
    ...(database.schema ? [`set search_path to "${database.schema}"`] : []),
  ].join('; ');
  return definePostgreSqlConfig({
    clientUrl: database.url,
    // rate_limits is the rate-limit counters' (src/abuse/rate-limits.ts), not an entity's.
    schemaGenerator: { skipTables: ['rate_limits'] },
    // knex reports dropped connections with console.warn; they belong in the JSON log. Its
    // messages name the connection error, never a statement.
    ...(logger
      ? {
          driverOptions: {
            log: {
              warn: (message: string) => logger.warn({ source: 'knex' }, message),
              error: (message: string) => logger.error({ source: 'knex' }, message),
              deprecate: () => undefined,
              debug: () => undefined,
            },
          },
        }
      : {}),
    ...(database.schema ? { schema: database.schema } : {}),
    ...COMMON,
    pool: {
      min: 0,
      max: database.poolSize,
      afterCreate(
        connection: PostgresConnection,
        done: (error: Error | null, connection: unknown) => void,
      ) {
        connection.query(setup, (error) => done(error, connection));
      },
    },
    migrations: migrations('postgresql', postgresqlMigrations),
  });
}

/**
 * Applies the migrations the database has not seen yet; returns their names, oldest first. On
 * PostgreSQL it first makes the schema of `?schema=`, and it takes turns with other instances
 * (oneAtATime).
 */
export async function migrate(orm: MikroORM, database: Database): Promise<string[]> {
  const up = async () => (await orm.getMigrator().up()).map((migration) => migration.name);
  if (database.dialect !== 'postgresql') return up();
  return oneAtATime(database, async () => {
    if (database.schema) {
      await orm.em.getConnection().execute(`create schema if not exists "${database.schema}"`);
    }
    return up();
  });
}

/** Connects, and nothing more. */
export async function connect(database: Database, logger?: Logger): Promise<MikroORM> {
  if (database.dialect === 'postgresql') return init(postgresqlOptions(database, logger));
  if (database.file !== ':memory:') createPrivately(database.file);
  return init(sqliteOptions(database.file, database.poolSize));
}

/**
 * A new SQLite file, and the folders made for it, are its owner's alone: the file holds password
 * hashes and emails, and SQLite gives its -wal and -shm files the database file's mode. A file
 * that exists keeps whatever mode its operator chose.
 */
function createPrivately(file: string): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  closeSync(openSync(file, 'a', 0o600)); // an empty file is an empty SQLite database
}

/**
 * MikroORM.init without its reading of MIKRO_ORM_* variables and of a `.env` file in the working
 * folder, which it lets override the options given: MIKRO_ORM_DB_NAME replaced DATABASE_URL's
 * file, and MIKRO_ORM_DEBUG logged every statement with its values (password hashes, emails)
 * behind the configuration's back. The rest is init's own sequence.
 */
async function init<D extends IDatabaseDriver>(options: Options<D>): Promise<MikroORM<D>> {
  const orm = new MikroORM<D>(options);
  orm.config.set('allowGlobalContext', true); // discovery runs outside any request
  await orm.discoverEntities();
  orm.config.set('allowGlobalContext', COMMON.allowGlobalContext);
  orm.em.getDriver().getPlatform().init(orm);
  await orm.connect();
  for (const extension of orm.config.get('extensions')) extension.register(orm);
  return orm;
}

/** Connects and applies pending migrations; never drops or auto-updates the schema. */
export async function openDatabase(database: Database, logger?: Logger): Promise<MikroORM> {
  const orm = await connect(database, logger);
  try {
    await migrate(orm, database);
  } catch (error) {
    await orm.close(true);
    throw error;
  }
  return orm;
}

/**
 * Instances started at once on one PostgreSQL would each find the schema, MikroORM's table of
 * migrations or a migration missing and each create or run it (MikroORM takes no lock), and all but
 * one would fail to start on "already exists". An advisory lock per schema, held on a connection
 * of its own (the pool may have one connection, which the migrations need), makes them take turns:
 * the next finds everything applied.
 */
async function oneAtATime<T>(
  database: Extract<Database, { dialect: 'postgresql' }>,
  work: () => Promise<T>,
): Promise<T> {
  const lock = new Client({ connectionString: database.url });
  // A connection lost while waiting or migrating fails the query under way (so the start-up);
  // without a listener its 'error' event would also crash the process with a stack trace.
  lock.on('error', () => undefined);
  await lock.connect();
  try {
    const key = `account-api migrations ${database.schema ?? 'public'}`;
    await lock.query('select pg_advisory_lock(hashtext($1))', [key]);
    return await work(); // the lock goes with the connection, whatever happens
  } finally {
    await lock.end();
  }
}
