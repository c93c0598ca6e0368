// The bench's direct access to the database: seeding users fast, and the D baselines (raw
// primary-key reads and single-row updates, 50 at a time), for SQLite and for PostgreSQL.
import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import sqlite3 from 'sqlite3';

export interface BenchStore {
  readonly dialect: 'sqlite' | 'postgresql';
  /** The server's DATABASE_URL for this database. */
  readonly url: string;
  /** Inserts users from..to (one transaction) with the given password hash; accounts go in `taken`. */
  seed(from: number, to: number, hash: string, taken: Set<string>): Promise<void>;
  /**
   * After a bulk seed, what a database that grew over time would look like: SQLite's WAL folded
   * back into the file, PostgreSQL's statistics and visibility map up to date.
   */
  settle(): Promise<void>;
  ids(): Promise<string[]>;
  accounts(limit: number): Promise<string[]>;
  read(id: string): Promise<unknown>;
  update(id: string): Promise<unknown>;
  close(): Promise<void>;
}

const INSERT_COLUMNS =
  'id, account, username, username_folded, email, email_normalized, password_hash, role, created_at, updated_at';

/** Rows per seeding statement: 10,000 parameters, within both databases' limits. */
const SEED_CHUNK = 1000;

/** The VALUES list of a seeding statement of `rows` rows, each parameter written by `mark`. */
function seedValues(rows: number, mark: (at: number) => string): string {
  const columns = INSERT_COLUMNS.split(',').length;
  return Array.from(
    { length: rows },
    (_, r) =>
      `(${Array.from({ length: columns }, (__, c) => mark(r * columns + c + 1)).join(', ')})`,
  ).join(', ');
}

function* seedRows(from: number, to: number, hash: string, taken: Set<string>, now: unknown) {
  for (let i = from; i < to; i++) {
    let account: string;
    do account = String(1_000_000_000 + Math.floor(Math.random() * 9_000_000_000));
    while (taken.has(account));
    taken.add(account);
    const email = `seed-${i}@bench.example`;
    yield [randomUUID(), account, `Seed ${i}`, `seed ${i}`, email, email, hash, 'USER', now, now];
  }
}

export async function sqliteStore(file: string): Promise<BenchStore> {
  const db = await new Promise<sqlite3.Database>((opened, fail) => {
    const handle = new sqlite3.Database(file, (error) => {
      if (error) return fail(error);
      handle.exec(
        'pragma journal_mode = WAL; pragma synchronous = NORMAL; pragma busy_timeout = 5000;',
        (pragmaError) => (pragmaError ? fail(pragmaError) : opened(handle)),
      );
    });
  });
  const run = (sql: string, params: unknown[] = []) =>
    new Promise<void>((done, fail) =>
      db.run(sql, params, (error) => (error ? fail(error) : done())),
    );
  const all = <Row>(sql: string) =>
    new Promise<Row[]>((done, fail) =>
      db.all(sql, (error, rows: Row[]) => (error ? fail(error) : done(rows))),
    );
  return {
    dialect: 'sqlite',
    url: `sqlite:${file}`,
    async seed(from, to, hash, taken) {
      // SEED_CHUNK rows per statement: 99,000 single-row inserts were 99,000 trips through the
      // threadpool, about a third of a minute of the run.
      const rows = [...seedRows(from, to, hash, taken, Date.now())];
      await run('begin');
      for (let at = 0; at < rows.length; at += SEED_CHUNK) {
        const chunk = rows.slice(at, at + SEED_CHUNK);
        const values = seedValues(chunk.length, () => '?');
        await run(`insert into users (${INSERT_COLUMNS}) values ${values}`, chunk.flat());
      }
      await run('commit');
    },
    settle: () => run('pragma wal_checkpoint(TRUNCATE)'),
    ids: async () => (await all<{ id: string }>('select id from users')).map((row) => row.id),
    accounts: async (limit) =>
      (await all<{ account: string }>(`select account from users limit ${limit}`)).map(
        (row) => row.account,
      ),
    read: (id) =>
      new Promise((done, fail) =>
        db.get('select * from users where id = ?', [id], (error, row) =>
          error ? fail(error) : done(row),
        ),
      ),
    update: (id) =>
      run('update users set introduction = ?, updated_at = ? where id = ?', [
        `intro ${Date.now()}`,
        Date.now(),
        id,
      ]),
    close: () => new Promise<void>((done) => db.close(() => done())),
  };
}

/** A fresh schema of the PostgreSQL database at `base`; close() drops it. */
export async function postgresqlStore(base: string): Promise<BenchStore> {
  const schema = `bench_${randomUUID().slice(0, 8)}`;
  const admin = new Pool({ connectionString: base, max: 1 });
  await admin.query(`create schema "${schema}"`);
  const pool = new Pool({ connectionString: base, max: 10, options: `-c search_path=${schema}` });
  const url = new URL(base);
  url.searchParams.set('schema', schema);
  return {
    dialect: 'postgresql',
    url: url.toString(),
    async seed(from, to, hash, taken) {
      const rows = [...seedRows(from, to, hash, taken, new Date())];
      const client = await pool.connect();
      try {
        await client.query('begin');
        for (let at = 0; at < rows.length; at += SEED_CHUNK) {
          const chunk = rows.slice(at, at + SEED_CHUNK);
          const values = seedValues(chunk.length, (position) => `$${position}`);
          await client.query(
            `insert into users (${INSERT_COLUMNS}) values ${values}`,
            chunk.flat(),
          );
        }
        await client.query('commit');
      } finally {
        client.release();
      }
    },
    settle: async () => {
      await pool.query('vacuum analyze users');
    },
    ids: async () =>
      (await pool.query<{ id: string }>('select id from users')).rows.map((r) => r.id),
    accounts: async (limit) =>
      (await pool.query<{ account: string }>(`select account from users limit ${limit}`)).rows.map(
        (r) => r.account,
      ),
    read: (id) => pool.query('select * from users where id = $1', [id]),
    update: (id) =>
      pool.query('update users set introduction = $1, updated_at = now() where id = $2', [
        `intro ${Date.now()}`,
        id,
      ]),
    async close() {
      await pool.end();
      await admin.query(`drop schema if exists "${schema}" cascade`);
      await admin.end();
    },
  };
}
