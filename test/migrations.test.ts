import { startServer, type TestServer } from './support/server';

// The migrations are the schema: what start-up applies must be exactly what the entities
// describe, on the suite's dialect (SQLite, or PostgreSQL with TEST_DATABASE_URL). A column
// added to an entity without a migration would otherwise surface as a 1023 in production.
describe('migrations', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server.close());

  it('leave nothing for the schema generator to change', async () => {
    const { database } = server.config;
    // On PostgreSQL only this server's schema: other test files' schemas exist meanwhile.
    const schema = database.dialect === 'postgresql' ? database.schema : null;
    const pending = await server.app.orm.schema.getUpdateSchemaSQL({
      wrap: false,
      ...(schema ? { schema } : {}),
    });
    expect(pending.trim()).toBe('');
  });
});
