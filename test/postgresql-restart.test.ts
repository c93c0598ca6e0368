import { MeDocument } from './generated/graphql';
import { registerUser } from './support/accounts';
import { bearer, scratchDatabase, scratchFolder, startServer } from './support/server';
import { TcpProxy } from './support/tcp-proxy';

// The service survives its PostgreSQL going away and coming back, with no restart of its own.
// The database is reached through a proxy the test cuts and restores: to the service that is a
// database restart (open connections die, new ones are refused, then accepted again).
const POSTGRES = process.env.TEST_DATABASE_URL?.trim() || 'postgres://postgres@127.0.0.1:5432/test';

describe('a PostgreSQL restart', () => {
  const folder = scratchFolder();
  afterAll(() => folder.remove());

  it('requests fail with 1023 while it is down and succeed again once it is back', async () => {
    const target = new URL(POSTGRES);
    const proxy = new TcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    const database = scratchDatabase(folder.path, POSTGRES);
    const url = new URL(database.url);
    url.port = String(await proxy.start());
    const server = await startServer({ DATABASE_URL: url.toString() });
    try {
      const user = await registerUser(server);
      const me = () => server.request(MeDocument, {}, bearer(user.token));
      const health = () => fetch(server.url.replace('/graphql', '/health'));
      expect((await me()).body.data?.me?.__typename).toBe('User');

      await proxy.stop();
      const down = await me();
      expect(down.status).toBe(200); // GraphQL answered: the field failed, not the server
      expect(down.body.errors?.[0]?.extensions).toMatchObject({ infocode: 1023 });
      expect(down.body.extensions).toEqual({ infocode: 1023, info: 'INTERNAL_ERROR' });
      expect(JSON.stringify(down.body)).not.toMatch(/ECONNREFUSED|select |postgres/i);
      expect((await health()).status).toBe(503);

      await proxy.start(); // the same port, as a restarted database
      expect((await me()).body.data?.me).toMatchObject({ __typename: 'User', id: user.id });
      expect((await health()).status).toBe(200);
      expect((await registerUser(server)).id).toBeTruthy();
      // The dropped connections were reported in the JSON log, not on the console.
      expect(server.logs).toContainEqual(
        expect.objectContaining({ level: 40, source: 'knex' }) as unknown,
      );
    } finally {
      await proxy.start();
      await server.close();
      await database.drop();
      await proxy.stop();
    }
  });
});
