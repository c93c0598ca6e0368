import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { startServer, TEST_DATABASE_URL, type TestServer } from './support/server';

/**
 * On PostgreSQL a database of its own: MikroORM's schema introspection reads every schema of the
 * database it is in, and other test files create and drop theirs meanwhile.
 */
async function ownDatabase(): Promise<{ url: string; drop(): Promise<void> } | null> {
  if (!TEST_DATABASE_URL) return null;
  const name = `test_migrations_${randomBytes(6).toString('hex')}`;
  const admin = async (sql: string) => {
    const client = new Client({ connectionString: TEST_DATABASE_URL! });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`create database "${name}"`);
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => admin(`drop database if exists "${name}" with (force)`),
  };
}

// The migrations are the schema: what start-up applies must be exactly what the entities
// describe, on the suite's dialect (SQLite, or PostgreSQL with TEST_DATABASE_URL). A column
// added to an entity without a migration would otherwise surface as a 1023 in production.
describe('migrations', () => {
  let server: TestServer;
  let database: Awaited<ReturnType<typeof ownDatabase>>;
  beforeAll(async () => {
    database = await ownDatabase();
    server = await startServer(database ? { DATABASE_URL: database.url } : {});
  });
  afterAll(async () => {
    await server.close();
    await database?.drop();
  });

  it('leave nothing for the schema generator to change', async () => {
    const pending = await server.app.orm.schema.getUpdateSchemaSQL({ wrap: false });
    expect(pending.trim()).toBe('');
  });
});
