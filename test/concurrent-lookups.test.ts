import { randomUUID } from 'node:crypto';
import {
  DeleteAccountDocument,
  LogoutDocument,
  MeDocument,
  UserByIdDocument,
} from './generated/graphql';
import { registerUser, type Registered } from './support/accounts';
import { bearer, startServer, type TestServer } from './support/server';

/*
 * Requests that arrive together have their user lookups answered by one statement (src/db/batch.ts),
 * and their answers written together, in groups (src/http/answers.ts). Each request must still get
 * exactly its own answer: its own user, its own session's state.
 */

let server: TestServer;
let live: Registered[];
let loggedOut: Registered;
let deleted: Registered;

beforeAll(async () => {
  server = await startServer();
  live = [];
  for (let i = 0; i < 6; i++) live.push(await registerUser(server, { introduction: `user ${i}` }));
  loggedOut = await registerUser(server);
  deleted = await registerUser(server);
  const logout = await server.request(LogoutDocument, {}, bearer(loggedOut.token));
  expect(logout.body.data!.logout.__typename).toBe('LogoutSuccess');
  const gone = await server.request(
    DeleteAccountDocument,
    { password: deleted.password },
    bearer(deleted.token),
  );
  expect(gone.body.data!.deleteAccount.__typename).toBe('AccountDeleted');
});
afterAll(() => server.close());

describe('lookups made at the same moment', () => {
  it('me: every caller gets their own user, and ended sessions and deleted users their own code', async () => {
    const callers = [...live, ...live, loggedOut, deleted, ...live];
    const answers = await Promise.all(
      callers.map((caller) => server.request(MeDocument, {}, bearer(caller.token))),
    );
    answers.forEach(({ body }, index) => {
      const caller = callers[index]!;
      const me = body.data!.me;
      if (caller === loggedOut) {
        expect(me).toMatchObject({ __typename: 'InvalidToken', infocode: 1010 });
      } else if (caller === deleted) {
        expect(me).toMatchObject({ __typename: 'UserNotExist', infocode: 1016 });
      } else {
        expect(me).toMatchObject({
          __typename: 'User',
          id: caller.id,
          email: caller.email,
          introduction: `user ${live.indexOf(caller)}`,
        });
      }
    });
  });

  it('user(id): each id gets its own user; unknown and deleted ids are 1016', async () => {
    const ids = [
      ...live.map((user) => user.id),
      randomUUID(),
      deleted.id,
      ...live.map((user) => user.id.toUpperCase()),
    ];
    const answers = await Promise.all(ids.map((id) => server.request(UserByIdDocument, { id })));
    answers.forEach(({ body }, index) => {
      const id = ids[index]!.toLowerCase();
      const owner = live.find((user) => user.id === id);
      const result = body.data!.user;
      if (owner) {
        // A stranger's lookup: no email, the rest of the profile.
        expect(result).toMatchObject({ __typename: 'User', id, email: null });
        expect(result).toMatchObject({ introduction: `user ${live.indexOf(owner)}` });
      } else {
        expect(result).toMatchObject({ __typename: 'UserNotExist', infocode: 1016 });
      }
    });
  });

  it('answers that need no database, sent together, each arrive whole, once, to their own request', async () => {
    const aliases = Array.from({ length: 30 }, (_, index) => `answer${index}`);
    const answers = await Promise.all(
      aliases.map((alias) => server.post(JSON.stringify({ query: `{ ${alias}: __typename }` }))),
    );
    answers.forEach(({ status, body }, index) => {
      expect(status).toBe(200);
      expect(body).toEqual({
        data: { [aliases[index]!]: 'Query' },
        extensions: { infocode: 1000, info: 'OK' },
      });
    });
    const requestIds = new Set(answers.map(({ headers }) => headers.get('x-request-id')));
    expect(requestIds.size).toBe(aliases.length);
  });
});
