import { createServer, type AddressInfo, type Socket } from 'node:net';
import Redis from 'ioredis';
import { LoginDocument, LogoutDocument, MeDocument, RegisterDocument } from './generated/graphql';
import { registerUser } from './support/accounts';
import {
  bearer,
  scratchDatabase,
  scratchFolder,
  startServer,
  type ScratchDatabase,
  type TestServer,
} from './support/server';

// Two instances on different ports sharing one PostgreSQL database, as behind a load balancer.
// Each is a whole app of its own (its own memory, pool and counters); only the database (and,
// where given, Redis) is shared. Always on the local PostgreSQL, whatever the suite's dialect.
const POSTGRES = process.env.TEST_DATABASE_URL?.trim() || 'postgres://postgres@127.0.0.1:5432/test';
const REDIS = 'redis://127.0.0.1:6379';

describe.each([
  ['PostgreSQL', {}],
  ['PostgreSQL and Redis', { REDIS_URL: REDIS }],
])('two instances on %s', (_name, shared: Record<string, string>) => {
  const folder = scratchFolder();
  let database: ScratchDatabase;
  let one: TestServer;
  let two: TestServer;

  beforeAll(async () => {
    database = scratchDatabase(folder.path, POSTGRES);
    const env = {
      DATABASE_URL: database.url,
      RATE_LIMIT: 'on',
      RATE_LIMIT_LOGIN_ACCOUNT: '4/15m',
      // Every request here comes from 127.0.0.1; only the per-account limit is under test.
      RATE_LIMIT_LOGIN_ADDRESS: '10000/15m',
      RATE_LIMIT_REGISTER_ADDRESS: '10000/15m',
      ...shared,
    };
    one = await startServer(env); // applies the migrations first
    two = await startServer(env);
  });
  afterAll(async () => {
    await Promise.all([one.close(), two.close()]);
    if (shared.REDIS_URL) {
      // The counters would expire with their window; remove them now.
      const schema = new URL(database.url).searchParams.get('schema')!;
      const redis = new Redis(shared.REDIS_URL);
      const keys = await redis.keys(`account-api:${schema}:*`);
      if (keys.length > 0) await redis.del(...keys);
      await redis.quit();
    }
    await database.drop();
    folder.remove();
  });

  it('they listen on different ports', () => {
    expect(new URL(one.url).port).not.toBe(new URL(two.url).port);
  });

  it('an access token issued by one works on the other', async () => {
    const user = await registerUser(one);
    const { body } = await two.request(MeDocument, {}, bearer(user.token));
    expect(body.data?.me).toMatchObject({ __typename: 'User', id: user.id });
  });

  it('logout on one is seen by the other on the very next request', async () => {
    const user = await registerUser(two);
    expect((await one.request(MeDocument, {}, bearer(user.token))).body.data?.me?.__typename).toBe(
      'User',
    );
    const { body } = await one.request(LogoutDocument, {}, bearer(user.token));
    expect(body.data?.logout).toMatchObject({ revokedSessions: 1 });
    const after = await two.request(MeDocument, {}, bearer(user.token));
    expect(after.body.data?.me).toMatchObject({ __typename: 'InvalidToken', infocode: 1010 });
  });

  it('50 concurrent registrations of one email over both give exactly one account', async () => {
    const email = `race-${Date.now()}@example.com`;
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        (i % 2 === 0 ? one : two).request(RegisterDocument, {
          input: {
            username: `Racer ${i}`,
            email: i % 3 === 0 ? email.toUpperCase() : email,
            password: `racing password ${i}`,
          },
        }),
      ),
    );
    const kinds = answers.map(({ body }) => body.data?.register?.__typename);
    expect(kinds.filter((kind) => kind === 'AuthPayload')).toHaveLength(1);
    expect(kinds.filter((kind) => kind === 'MailboxOccupied')).toHaveLength(49);
  });

  it('the per-account login limit holds across both instances', async () => {
    const user = await registerUser(one);
    const attempt = (server: TestServer, password: string) =>
      server.request(LoginDocument, { input: { account: user.account, password } });
    // 4 wrong passwords per account per window, spread over both instances...
    for (const server of [one, two, one, two]) {
      const { body } = await attempt(server, 'not the password');
      expect(body.data?.login?.__typename).toBe('WrongPassword');
    }
    // ...and now even the right one is refused, on either.
    for (const server of [one, two]) {
      const { body } = await attempt(server, user.password);
      expect(body.data?.login).toMatchObject({ __typename: 'TooManyRequests', infocode: 1020 });
    }
  });
});

describe('a Redis that takes connections but never answers', () => {
  it('fails what needs a counter with 1023 within seconds, and the server still closes', async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => {
      sockets.add(socket); // read nothing, answer nothing
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    try {
      const server = await startServer({
        REDIS_URL: `redis://127.0.0.1:${port}`,
        RATE_LIMIT: 'on',
      });
      const started = Date.now();
      const { body } = await server.request(RegisterDocument, {
        input: { username: 'Waiting', email: 'waiting@example.com', password: 'a long wait here' },
      });
      expect(body.extensions).toEqual({ infocode: 1023, info: 'INTERNAL_ERROR' });
      expect(Date.now() - started).toBeLessThan(15_000);
      const closing = Date.now();
      await server.close();
      expect(Date.now() - closing).toBeLessThan(15_000);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
