import { LoginDocument, MeDocument, UpdateProfileDocument } from './generated/graphql';
import { registerUser, type Registered } from './support/accounts';
import { bearer, startServer, type TestServer } from './support/server';

// SQLite has one writer at a time. These runs use more database connections (8) than Jest's
// process has libuv threads (4), the shape in which writers asleep in SQLite's busy handler used
// to hold every thread and stall each write for the whole busy timeout, then fail with 1023.
describe('concurrent writes on SQLite', () => {
  let server: TestServer;
  let users: Registered[];

  beforeAll(async () => {
    server = await startServer({ DATABASE_POOL_SIZE: '8' });
    users = [];
    for (let i = 0; i < 6; i++) users.push(await registerUser(server));
  });
  afterAll(() => server.close());

  it('60 profile updates at once, with logins hashing beside them, all succeed', async () => {
    const updates = users.flatMap((user) =>
      Array.from({ length: 10 }, (_, n) =>
        server.request(
          UpdateProfileDocument,
          { input: { introduction: `update ${n} of ${user.username}` } },
          bearer(user.token),
        ),
      ),
    );
    const logins = users.slice(0, 4).map((user) =>
      server.request(LoginDocument, {
        input: { account: user.account, password: user.password },
      }),
    );
    const [updated, loggedIn] = await Promise.all([Promise.all(updates), Promise.all(logins)]);

    expect(updated.map(({ body }) => body.data?.updateProfile?.__typename)).toEqual(
      updates.map(() => 'User'),
    );
    expect(loggedIn.map(({ body }) => body.data?.login?.__typename)).toEqual(
      logins.map(() => 'AuthPayload'),
    );
    for (const user of users) {
      const { body } = await server.request(MeDocument, {}, bearer(user.token));
      const me = body.data?.me;
      expect(me?.__typename === 'User' && me.introduction).toMatch(
        new RegExp(`^update \\d of ${user.username}$`),
      );
    }
    expect(server.logs.filter((line) => Number(line.level) >= 50)).toEqual([]);
  });
});
