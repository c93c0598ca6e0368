import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { type TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { Client } from 'pg';
import { type Config, loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { type App, createApp } from '../../src/server';

/** The JWT secret every test server signs with, so tests can forge tokens the way an attacker would try. */
export const TEST_JWT_SECRET = 'test-secret-that-is-at-least-32-bytes-long!';

export interface GraphQLResponse<TData> {
  status: number;
  headers: Headers;
  body: {
    data?: TData | null;
    errors?: {
      message: string;
      path?: (string | number)[];
      extensions: { code?: string; infocode: number; info: string; requestId?: string };
    }[];
    extensions: { infocode: number; info: string };
  };
}

export interface TestServer {
  url: string;
  config: Config;
  app: App;
  /** Every log line the server wrote, parsed. */
  logs: Record<string, unknown>[];
  /** Raw log text, to prove what never appears in it. */
  logText(): string;
  /** `signal` aborts the request as a client hanging up would. */
  request<TData, TVariables>(
    document: TypedDocumentNode<TData, TVariables>,
    variables: TVariables,
    headers?: Record<string, string>,
    signal?: AbortSignal,
  ): Promise<GraphQLResponse<TData>>;
  post(
    body: string,
    headers?: Record<string, string>,
    signal?: AbortSignal,
  ): Promise<GraphQLResponse<unknown>>;
  close(): Promise<void>;
}

/** A folder that lives as long as the test file: the SQLite file and the JWT secret go there. */
export function scratchFolder(): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), 'account-api-test-'));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/**
 * The database the suite runs on: SQLite files by default; with TEST_DATABASE_URL
 * (postgres://...), PostgreSQL, each scratch database a schema of its own, dropped afterwards.
 */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL?.trim() || null;
export const ON_POSTGRESQL = TEST_DATABASE_URL !== null;

export interface ScratchDatabase {
  /** A DATABASE_URL for it. */
  url: string;
  drop(): Promise<void>;
}

/**
 * An empty database of the suite's dialect: a SQLite file in `folder`, or a new schema of the
 * PostgreSQL database at `postgres` (TEST_DATABASE_URL unless given).
 */
export function scratchDatabase(
  folder: string,
  postgres: string | null = TEST_DATABASE_URL,
): ScratchDatabase {
  if (!postgres) {
    return { url: `sqlite:${join(folder, 'accounts.sqlite')}`, drop: () => Promise.resolve() };
  }
  const schema = `test_${randomBytes(6).toString('hex')}`;
  const url = new URL(postgres);
  url.searchParams.set('schema', schema);
  return {
    url: url.toString(),
    async drop() {
      await withSchemaLock(postgres, 'exclusive', async (client) => {
        await client.query(`drop schema if exists "${schema}" cascade`);
      });
    },
  };
}

/**
 * Test files run side by side on one PostgreSQL database. A server starting lists every schema's
 * tables (MikroORM's migrator), and a schema dropped by another file in the middle of that makes
 * the listing fail ("schema ... does not exist"). So start-ups share this lock and drops take it
 * alone. The lock is the session's: ending the client releases it.
 */
const SCHEMA_LOCK = 74_170_001;

async function withSchemaLock<T>(
  postgres: string,
  mode: 'shared' | 'exclusive',
  work: (client: Client) => Promise<T>,
): Promise<T> {
  const base = new URL(postgres);
  base.searchParams.delete('schema');
  const client = new Client({ connectionString: base.toString() });
  await client.connect();
  try {
    await client.query(
      mode === 'shared' ? 'select pg_advisory_lock_shared($1)' : 'select pg_advisory_lock($1)',
      [SCHEMA_LOCK],
    );
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * Runs `work`, a start-up on the database at `url` (a test server, or a child process such as the
 * command line or the README's commands), holding the schema lock's shared side on PostgreSQL, so
 * another file's schema is not dropped in the middle of its migrator's listing.
 */
export function asStartUp<T>(url: string, work: () => Promise<T>): Promise<T> {
  return url.startsWith('postgres') ? withSchemaLock(url, 'shared', work) : work();
}

/**
 * Runs `work`, which changes the server's tables under it (a table renamed to make a failure),
 * holding the schema lock's exclusive side on PostgreSQL: a start-up in another file lists every
 * schema's tables, and a table renamed in the middle of that listing fails it, as a drop would.
 */
export function asSchemaChange<T>(server: TestServer, work: () => Promise<T>): Promise<T> {
  const { database } = server.config;
  return database.dialect === 'postgresql'
    ? withSchemaLock(database.url, 'exclusive', work)
    : work();
}

/**
 * Starts the real server on a loopback port with its own database (see scratchDatabase). `env`
 * is read exactly as the process environment would be.
 */
export async function startServer(env: Record<string, string> = {}): Promise<TestServer> {
  // Always a folder of its own: the outbox of mail goes there unless the test names another.
  const folder = scratchFolder();
  const database = env.DATABASE_URL ? null : scratchDatabase(folder.path);
  const settings: Record<string, string> & { DATABASE_URL: string } = {
    DATABASE_URL: database?.url ?? '',
    JWT_SECRET: TEST_JWT_SECRET,
    LOG_LEVEL: 'info',
    // Suites register many users from one address; the abuse tests turn limits on explicitly.
    RATE_LIMIT: 'off',
    MAIL_OUTBOX: join(folder.path, 'outbox'),
    APP_URL: 'https://app.example',
    ...env,
  };
  const config = loadConfig(settings);
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      callback();
    },
  });
  const logger = createLogger(config.logLevel, sink);
  const app = await asStartUp(settings.DATABASE_URL, () => createApp(config, logger));
  await new Promise<void>((resolve) => app.server.listen(0, '127.0.0.1', resolve));
  const { port } = app.server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}/graphql`;

  const post = async (body: string, headers: Record<string, string> = {}, signal?: AbortSignal) => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
      signal,
    });
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      body: JSON.parse(text) as GraphQLResponse<unknown>['body'],
    };
  };

  return {
    url,
    config,
    app,
    get logs() {
      return lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    },
    logText: () => lines.join('\n'),
    async request(document, variables, headers, signal) {
      const response = await post(
        JSON.stringify({ query: print(document), variables }),
        headers,
        signal,
      );
      return response as GraphQLResponse<never>;
    },
    post,
    async close() {
      await app.close();
      await database?.drop();
      folder.remove();
    },
  };
}

export const bearer = (token: string): Record<string, string> => ({
  authorization: `Bearer ${token}`,
});
