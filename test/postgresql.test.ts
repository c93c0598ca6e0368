import { loadConfig } from '../src/config';
import { registerUser } from './support/accounts';
import { scratchDatabase, scratchFolder, startServer, type TestServer } from './support/server';

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

  it('a schema that is not a plain identifier, or a bad timeout, stops start-up with one line', () => {
    expect(() =>
      loadConfig({ DATABASE_URL: `${POSTGRES}?schema=Robert'); drop table users;--` }),
    ).toThrow(/^DATABASE_URL schema must be a lower-case PostgreSQL identifier/);
    expect(() =>
      loadConfig({ DATABASE_URL: POSTGRES, DATABASE_STATEMENT_TIMEOUT: 'soon' }),
    ).toThrow(/^DATABASE_STATEMENT_TIMEOUT must be a duration/);
  });
});
