import { Client, Pool } from 'pg';
import { RateLimiterPostgres } from 'rate-limiter-flexible';
import { loadConfig } from '../src/config';
import { postgresqlMigrations } from '../src/migrations/postgresql';
import { LoginDocument, SetRoleDocument, UpdateProfileDocument } from './generated/graphql';
import { registerUser } from './support/accounts';
import {
  bearer,
  scratchDatabase,
  scratchFolder,
  startServer,
  type TestServer,
} from './support/server';
import { eventually } from './support/wait';

// PostgreSQL specifics, always against the local PostgreSQL (TEST_DATABASE_URL or 127.0.0.1:5432),
// whichever dialect the rest of the suite runs on.
const POSTGRES = process.env.TEST_DATABASE_URL?.trim() || 'postgres://postgres@127.0.0.1:5432/test';

describe('DATABASE_URL=postgres://...', () => {
  const folder = scratchFolder();
  afterAll(() => folder.remove());

  const started: { server: TestServer; drop: () => Promise<void> }[] = [];
  afterEach(async () => {
    for (const { server, drop } of started.splice(0)) {
      await server.close();
      await drop();
    }
  });

  /** A server on a fresh schema of the local PostgreSQL, whatever the suite's dialect. */
  async function onPostgres(env: Record<string, string> = {}): Promise<TestServer> {
    const scratch = scratchDatabase(folder.path, POSTGRES);
    expect(scratch.url).toMatch(/^postgres:\/\/.*[?&]schema=test_[0-9a-f]{12}$/);
    const server = await startServer({ DATABASE_URL: scratch.url, ...env });
    started.push({ server, drop: () => scratch.drop() });
    return server;
  }

  it('?schema= keeps each deployment in its own schema: users of one are unknown to another', async () => {
    const [a, b] = await Promise.all([onPostgres(), onPostgres()]);
    const user = await registerUser(a);
    const { body } = await b.post(
      JSON.stringify({ query: `{ user(account: "${user.account}") { __typename } }` }),
    );
    expect(body.data).toEqual({ user: { __typename: 'UserNotExist' } });
    // The same email registers in the other schema: uniqueness is per deployment.
    expect((await registerUser(b, { email: user.email })).email).toBe(user.email);
  });

  it('PostgreSQL itself refuses a second row with the same normalized email', async () => {
    const server = await onPostgres();
    await registerUser(server, { email: 'Case.Test@Example.com' });
    await expect(
      server.app.orm.em.getConnection().execute(
        `insert into users (id, account, username, username_folded, email, email_normalized, password_hash, role, created_at, updated_at)
           values ('00000000-0000-7000-8000-000000000001', '1000000001', 'Dup', 'dup', 'CASE.TEST@example.COM', 'case.test@example.com', 'x', 'USER', now(), now())`,
      ),
    ).rejects.toMatchObject({ code: '23505' }); // unique_violation
  });

  it('DATABASE_STATEMENT_TIMEOUT stops a statement that runs longer', async () => {
    const server = await onPostgres({ DATABASE_STATEMENT_TIMEOUT: '1s' });
    const started = Date.now();
    await expect(
      server.app.orm.em.getConnection().execute('select pg_sleep(5)'),
    ).rejects.toMatchObject({ code: '57014' }); // query_canceled
    expect(Date.now() - started).toBeLessThan(4000);
  });

  /** The schema a server of onPostgres() runs in. */
  function schemaOf(server: TestServer): string {
    const { database } = server.config;
    if (database.dialect !== 'postgresql' || !database.schema) throw new Error('not on a schema');
    return database.schema;
  }

  /** Whether a statement whose text is like `pattern` comes to wait for a lock, within 10 s. */
  function waitingForLock(pool: Pool, pattern: string): Promise<boolean> {
    const waiting = `select 1 from pg_stat_activity where wait_event_type = 'Lock' and query like $1`;
    return eventually(async () => (await pool.query(waiting, [pattern])).rowCount === 1, {
      withinMs: 10_000,
    });
  }

  /** A pool on the database, as another program would reach it; ended after `work`. */
  async function withPool<T>(work: (pool: Pool) => Promise<T>): Promise<T> {
    const pool = new Pool({ connectionString: POSTGRES, max: 1 });
    try {
      return await work(pool);
    } finally {
      await pool.end();
    }
  }

  it('counts kept by the earlier build (rate-limiter-flexible’s store) and by this one are the same counts', async () => {
    const server = await onPostgres({ RATE_LIMIT: 'on', RATE_LIMIT_LOGIN_ACCOUNT: '3/15m' });
    const user = await registerUser(server);
    const login = (password: string) =>
      server.request(LoginDocument, { input: { account: user.account, password } });
    await withPool(async (pool) => {
      const earlier = new RateLimiterPostgres({
        storeClient: pool,
        schemaName: schemaOf(server),
        tableName: 'rate_limits',
        tableCreated: true,
        keyPrefix: 'login-account',
        points: 3,
        duration: 15 * 60,
      });
      const key = `user:${user.id}`;
      // Two wrong passwords here are two in the earlier build's eyes...
      for (const _ of [1, 2]) {
        expect((await login('not the password')).body.data?.login?.__typename).toBe(
          'WrongPassword',
        );
      }
      expect((await earlier.get(key))?.consumedPoints).toBe(2);
      // ...and its third reaches the limit here: even the right password waits.
      await earlier.consume(key, 1);
      const { body } = await login(user.password);
      expect(body.data?.login).toMatchObject({ __typename: 'TooManyRequests', infocode: 1020 });
      const retryAfter = (body.data?.login as { retryAfter: number }).retryAfter;
      expect(retryAfter).toBeGreaterThan(15 * 60 - 60);
      expect(retryAfter).toBeLessThanOrEqual(15 * 60);
    });
  });

  it('counts whose window has ended are swept at start-up; the others stay', async () => {
    const server = await onPostgres({ RATE_LIMIT: 'on' });
    const now = Date.now();
    const schema = schemaOf(server);
    // Many ended windows, enough that sweeping them outlasts the rest of a start-up.
    const ended = 200_000;
    await withPool(async (pool) => {
      await pool.query(
        `insert into "${schema}".rate_limits (key, points, expire)
         select 'login-address:10.' || n, 5, $1 from generate_series(1, $2) as n`,
        [now - 1000, ended],
      );
      await pool.query(
        `insert into "${schema}".rate_limits (key, points, expire) values ($1, 5, $2)`,
        ['login-address:192.0.2.2', now + 60_000],
      );
    });
    // A second instance on the same schema: its start-up sweeps. Stopped at once, it still
    // finishes that sweep before its connections close.
    const url = new URL(POSTGRES);
    url.searchParams.set('schema', schema);
    const again = await startServer({ DATABASE_URL: url.toString(), RATE_LIMIT: 'on' });
    await again.close();
    expect(again.logs.filter((line) => Number(line.level) >= 40)).toEqual([]);
    expect(again.logs.find((line) => line.what === 'rate limits')).toMatchObject({
      msg: 'expired rows swept',
      removed: ended,
    });
    const keys = await withPool(
      async (pool) =>
        (await pool.query<{ key: string }>(`select key from "${schema}".rate_limits`)).rows,
    );
    expect(keys).toEqual([{ key: 'login-address:192.0.2.2' }]);
  });

  it('the counters do not wait for the disk: their table is unlogged, the accounts’ are not', async () => {
    const server = await onPostgres();
    const schema = schemaOf(server);
    const persistence = await withPool(
      async (pool) =>
        (
          await pool.query<{ relname: string; relpersistence: string }>(
            `select relname, relpersistence from pg_class
               where relnamespace = $1::regnamespace and relkind = 'r' order by relname`,
            [schema],
          )
        ).rows,
    );
    expect(Object.fromEntries(persistence.map((row) => [row.relname, row.relpersistence]))).toEqual(
      {
        email_tokens: 'p',
        mikro_orm_migrations: 'p',
        rate_limits: 'u',
        sessions: 'p',
        users: 'p',
      },
    );
  });

  it('a login’s session alone skips the wait for the disk: the connection’s next statement waits again', async () => {
    // One pooled connection: the statement after the login's runs where the login's ran.
    const server = await onPostgres({ DATABASE_POOL_SIZE: '1' });
    const { email, password } = await registerUser(server);
    const { body } = await server.request(LoginDocument, { input: { email, password } });
    expect(body.data?.login.__typename).toBe('AuthPayload');
    const rows = (await server.app.orm.em
      .getConnection()
      .execute(`select current_setting('synchronous_commit') as setting`, [], 'all')) as {
      setting: string;
    }[];
    expect(rows).toEqual([{ setting: 'on' }]);
    const sessions = await withPool(
      async (pool) =>
        (
          await pool.query<{ n: number }>(
            `select count(*)::int as n from ${schemaOf(server)}.sessions`,
          )
        ).rows,
    );
    expect(sessions).toEqual([{ n: 2 }]);
  });

  it('an email given as unchanged is not written once another change of it has committed', async () => {
    const server = await onPostgres();
    const schema = schemaOf(server);
    const user = await registerUser(server);
    const moved = `moved-${user.id.slice(-12)}@example.com`;
    await withPool(async (pool) => {
      const other = new Client({ connectionString: POSTGRES }); // another device's change
      await other.connect();
      try {
        await other.query('begin');
        await other.query(`select 1 from "${schema}".users where id = $1 for update`, [user.id]);
        // The same address in capitals: no change as read, so no password is asked for...
        const sameAddress = server.request(
          UpdateProfileDocument,
          { input: { email: user.email.toUpperCase() } },
          bearer(user.token),
        );
        // ...and its write waits while the other change holds the row, then commits.
        expect(await waitingForLock(pool, 'update users u set%')).toBe(true);
        await other.query(
          `update "${schema}".users set email = $2, email_normalized = $2 where id = $1`,
          [user.id, moved],
        );
        await other.query('commit');
        // Decided again from the stored address, it is a change: the password is needed.
        const { body } = await sameAddress;
        expect(body.data?.updateProfile).toMatchObject({
          __typename: 'InvalidInput',
          infocode: 1001,
          violations: [{ field: 'currentPassword' }],
        });
      } finally {
        await other.query('rollback'); // nothing left to undo once committed
        await other.end();
      }
      const stored = await pool.query<{ email: string }>(
        `select email from "${schema}".users where id = $1`,
        [user.id],
      );
      expect(stored.rows).toEqual([{ email: moved }]);
    });
  });

  it('instances started at once on a new schema all start: the migrations take turns', async () => {
    const scratch = scratchDatabase(folder.path, POSTGRES);
    const starting = await Promise.allSettled(
      [1, 2, 3].map(() => startServer({ DATABASE_URL: scratch.url })),
    );
    const servers = starting.flatMap((start) =>
      start.status === 'fulfilled' ? [start.value] : [],
    );
    try {
      expect(starting.map((start) => start.status)).toEqual([
        'fulfilled',
        'fulfilled',
        'fulfilled',
      ]);
      for (const server of servers) expect((await registerUser(server)).id).toBeTruthy();
      const history = await withPool(
        async (pool) =>
          (
            await pool.query<{ runs: number; names: number }>(
              `select count(*)::int as runs, count(distinct name)::int as names
               from "${schemaOf(servers[0]!)}".mikro_orm_migrations`,
            )
          ).rows,
      );
      expect(history).toEqual([
        { runs: postgresqlMigrations.length, names: postgresqlMigrations.length },
      ]);
    } finally {
      await Promise.all(servers.map((server) => server.close()));
      await scratch.drop();
    }
  });

  it('a valid 254-character email registers and logs in with the limits counted here', async () => {
    const server = await onPostgres({ RATE_LIMIT: 'on', HIDE_ACCOUNT_EXISTENCE: 'true' });
    // 64 + 1 + 63 + 1 + 63 + 1 + 57 + 4: the longest address the rules take.
    const email = `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(57)}.com`;
    expect(email).toHaveLength(254);
    // Its mail counter's key, `mail-recipient:` and the address, is longer than 255.
    const registered = await registerUser(server, { email });
    expect(registered.email).toBe(email);
    const { body } = await server.request(LoginDocument, {
      input: { email, password: registered.password },
    });
    expect(body.data?.login.__typename).toBe('AuthPayload');
    // An unknown one is counted under a key holding its lookup: a wrong password, as hidden.
    const unknown = `${'e'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(57)}.com`;
    const { body: wrong } = await server.request(LoginDocument, {
      input: { email: unknown, password: registered.password },
    });
    expect(wrong.data?.login).toMatchObject({ __typename: 'WrongPassword', infocode: 1008 });
  });

  it('setRole by an admin whose demotion commits while it waits promotes no one (1011)', async () => {
    const server = await onPostgres();
    const schema = schemaOf(server);
    const [admin, user] = [await registerUser(server), await registerUser(server)];
    await withPool(async (pool) => {
      await pool.query(`update "${schema}".users set role = 'ADMIN' where id = $1`, [admin.id]);
      const demotion = new Client({ connectionString: POSTGRES }); // a second connection
      await demotion.connect();
      try {
        await demotion.query('begin');
        await demotion.query(`update "${schema}".users set role = 'USER' where id = $1`, [
          admin.id,
        ]);
        // The request starts while the admin is still one (the demotion is not committed)...
        const promotion = server.request(
          SetRoleDocument,
          { userId: user.id, role: 'ADMIN' },
          bearer(admin.token),
        );
        // ...and reaches its write while the demotion holds the admin's row.
        expect(await waitingForLock(pool, '%from users where id = % and role = % for share')).toBe(
          true,
        );
        await demotion.query('commit');
        const { body } = await promotion;
        expect(body.data?.setRole).toMatchObject({
          __typename: 'InsufficientPermissions',
          infocode: 1011,
        });
      } finally {
        await demotion.query('rollback'); // nothing left to undo once committed
        await demotion.end();
      }
      const roles = await pool.query<{ id: string; role: string }>(
        `select id, role from "${schema}".users order by id`,
      );
      expect(roles.rows.map((row) => row.role)).toEqual(['USER', 'USER']);
    });
  });

  it('a schema that is not a plain identifier, or a bad timeout, stops start-up with one line', () => {
    expect(() =>
      loadConfig({ DATABASE_URL: `${POSTGRES}?schema=Robert'); drop table users;--` }),
    ).toThrow(/^DATABASE_URL schema must be a lower-case PostgreSQL identifier/);
    expect(() =>
      loadConfig({ DATABASE_URL: POSTGRES, DATABASE_STATEMENT_TIMEOUT: 'soon' }),
    ).toThrow(/^DATABASE_STATEMENT_TIMEOUT must be a duration/);
  });
});
