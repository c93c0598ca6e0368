import { randomUUID } from 'node:crypto';
import { MeDocument, UpdateProfileDocument, type UpdateProfileInput } from './generated/graphql';
import { registerUser, type Registered } from './support/accounts';
import { startServerWithAdmin, type SignedInAdmin } from './support/admin';
import { bearer, type TestServer } from './support/server';

// Profile updates that arrive together are written together, many users in one statement
// (src/db/batch.ts, WriteBatch). These send updates at once, as a busy server receives them, and
// check that each one lands as if it had been written alone.
let server: TestServer;
let admin: SignedInAdmin;

beforeAll(async () => {
  ({ server, admin } = await startServerWithAdmin());
});
afterAll(() => server.close());

const update = async (token: string, input: UpdateProfileInput, userId?: string) =>
  (await server.request(UpdateProfileDocument, { input, userId }, bearer(token))).body.data
    ?.updateProfile;

async function me(user: Registered) {
  const result = (await server.request(MeDocument, {}, bearer(user.token))).body.data?.me;
  if (result?.__typename !== 'User') throw new Error(`me: ${result?.__typename}`);
  return result;
}

const withProfile = () =>
  registerUser(server, {
    avatar: 'https://cdn.example.com/before.png',
    introduction: 'before',
  });

it('updates of different fields sent at once change only their own fields, each of them', async () => {
  const [one, two, three] = await Promise.all([withProfile(), withProfile(), withProfile()]);
  const renamed = `renamed ${randomUUID().slice(0, 8)}`;
  const results = await Promise.all([
    update(one.token, { username: renamed }),
    update(two.token, { avatar: null }),
    update(three.token, { introduction: 'after' }),
  ]);
  expect(results.map((result) => result?.__typename)).toEqual(['User', 'User', 'User']);

  expect(await me(one)).toMatchObject({
    username: renamed,
    avatar: 'https://cdn.example.com/before.png',
    introduction: 'before',
  });
  expect(await me(two)).toMatchObject({
    username: two.username,
    avatar: null,
    introduction: 'before',
  });
  expect(await me(three)).toMatchObject({
    username: three.username,
    avatar: 'https://cdn.example.com/before.png',
    introduction: 'after',
  });
});

it('updates of one user’s different fields sent at once all land', async () => {
  const user = await withProfile();
  const renamed = `renamed ${randomUUID().slice(0, 8)}`;
  const results = await Promise.all([
    update(user.token, { username: renamed }),
    update(user.token, { avatar: 'https://cdn.example.com/after.png' }),
    update(user.token, { introduction: null }),
  ]);
  expect(results.map((result) => result?.__typename)).toEqual(['User', 'User', 'User']);
  expect(await me(user)).toMatchObject({
    username: renamed,
    avatar: 'https://cdn.example.com/after.png',
    introduction: null,
  });
});

it('two users given one new email at once: one gets it, the other MailboxOccupied 1012, and the updates beside them land', async () => {
  const [first, second, ...others] = await Promise.all(
    Array.from({ length: 6 }, () => registerUser(server)),
  );
  const wanted = `wanted-${randomUUID().slice(0, 8)}@example.com`;
  const [forFirst, forSecond, ...besides] = await Promise.all([
    update(admin.token, { email: wanted }, first!.id),
    update(admin.token, { email: wanted }, second!.id),
    ...others.map((user) => update(user.token, { introduction: `beside ${user.username}` })),
  ]);

  const outcomes = [forFirst, forSecond].map((result) =>
    result?.__typename === 'MailboxOccupied' ? result.infocode : result?.__typename,
  );
  expect(outcomes.sort()).toEqual([1012, 'User']);
  const winner = forFirst?.__typename === 'User' ? first! : second!;
  const loser = winner === first ? second! : first!;
  expect(await me(winner)).toMatchObject({ email: wanted });
  expect(await me(loser)).toMatchObject({ email: loser.email });

  expect(besides.map((result) => result?.__typename)).toEqual(others.map(() => 'User'));
  for (const user of others) {
    expect((await me(user)).introduction).toBe(`beside ${user.username}`);
  }
});
