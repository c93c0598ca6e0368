/**
 * CONTRACT section 6, the admin part: `users` (opaque cursors, a stable order with no gaps or
 * repeats while users are added, `first` 1-100, prefix search) and `setRole` (ADMIN only, the last
 * admin cannot be demoted, roles read per request), all through GraphQL against the real server.
 */
import { randomUUID } from 'node:crypto';
import {
  DeleteAccountDocument,
  MeDocument,
  SetRoleDocument,
  type SetRoleMutation,
  type SetRoleMutationVariables,
  UsersDocument,
  type UsersQuery,
  type UsersQueryVariables,
} from './generated/graphql';
import { registerUser, type Registered } from './support/accounts';
import { letters, registerMany, type SignedInAdmin, startServerWithAdmin } from './support/admin';
import { fillHashLine, inLine } from './support/hash-line';
import {
  bearer,
  type GraphQLResponse,
  scratchDatabase,
  scratchFolder,
  startServer,
  type TestServer,
} from './support/server';

type UsersBody = GraphQLResponse<UsersQuery>['body'];
type SetRoleBody = GraphQLResponse<SetRoleMutation>['body'];
type Connection = Extract<UsersQuery['users'], { __typename: 'UserConnection' }>;

const auth = (token: string | null) => (token === null ? {} : bearer(token));

async function listUsers(
  server: TestServer,
  token: string | null,
  variables: UsersQueryVariables = {},
): Promise<UsersBody> {
  return (await server.request(UsersDocument, variables, auth(token))).body;
}

async function setRole(
  server: TestServer,
  token: string | null,
  variables: SetRoleMutationVariables,
): Promise<SetRoleBody> {
  return (await server.request(SetRoleDocument, variables, auth(token))).body;
}

function expectConnection(body: UsersBody): Connection {
  expect(body.errors).toBeUndefined();
  expect(body.extensions).toEqual({ infocode: 1000, info: 'OK' });
  const result = body.data?.users;
  if (result?.__typename !== 'UserConnection') throw new Error(JSON.stringify(body));
  return result;
}

function expectUser(body: SetRoleBody) {
  expect(body.errors).toBeUndefined();
  expect(body.extensions).toEqual({ infocode: 1000, info: 'OK' });
  const result = body.data?.setRole;
  if (result?.__typename !== 'User') throw new Error(JSON.stringify(body));
  return result;
}

/** The same code in all three places: the union member, no `errors`, and the envelope. */
function expectFailure(
  body: UsersBody | SetRoleBody,
  typename: string,
  infocode: number,
  info: string,
) {
  expect(body.errors).toBeUndefined();
  const data = body.data as Partial<UsersQuery & SetRoleMutation> | null | undefined;
  const result = data?.users ?? data?.setRole;
  expect(result).toMatchObject({ __typename: typename, infocode, info });
  if (!result || !('infocode' in result)) throw new Error(JSON.stringify(body));
  expect(result.message.trim()).not.toBe('');
  expect(body.extensions).toEqual({ infocode, info });
  return result;
}

function expectInvalidInput(body: UsersBody, field: string) {
  const result = expectFailure(body, 'InvalidInput', 1001, 'MISSING_REQUIRED_PARAMS');
  if (result.__typename !== 'InvalidInput') throw new Error(result.__typename);
  expect(result.field).toBe(field);
  expect(result.violations[0]).toMatchObject({
    field,
    infocode: 1001,
    info: 'MISSING_REQUIRED_PARAMS',
  });
}

const expectNotAllowed = (body: UsersBody | SetRoleBody) =>
  expectFailure(body, 'InsufficientPermissions', 1011, 'INSUFFICIENT_PERMISSIONS');

/** Every page from the start with `first` per page: the pages as they came. */
async function walk(
  server: TestServer,
  token: string,
  first: number,
  search?: string,
): Promise<Connection[]> {
  const pages: Connection[] = [];
  let after: string | null = null;
  for (;;) {
    const page = expectConnection(await listUsers(server, token, { first, after, search }));
    pages.push(page);
    if (!page.pageInfo.hasNextPage) return pages;
    after = page.pageInfo.endCursor;
    if (pages.length > 1000) throw new Error('pagination does not end');
  }
}

const idsOf = (pages: Connection[]) => pages.flatMap((page) => page.edges.map((e) => e.node.id));

/** Each id at most once. */
function expectNoRepeats(ids: string[]) {
  expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
}

async function roleOf(server: TestServer, token: string): Promise<string> {
  const { body } = await server.request(MeDocument, {}, bearer(token));
  const me = body.data?.me;
  if (me?.__typename !== 'User') throw new Error(JSON.stringify(body));
  return me.role;
}

describe('users pages by opaque cursor (250 users)', () => {
  let server: TestServer;
  let admin: SignedInAdmin;
  let registered: Registered[];
  /** Registered in batches of 10, one batch after the other. */
  const BATCH = 10;

  beforeAll(async () => {
    ({ server, admin } = await startServerWithAdmin());
    // 249 plus the admin made at start-up: 250 users.
    registered = await registerMany(
      server,
      249,
      (i) => ({ username: `${i % 2 === 0 ? 'Even' : 'Odd'} ${randomUUID().slice(0, 8)}` }),
      BATCH,
    );
  });
  afterAll(() => server.close());

  it('first 100, 100, 50 sees every user exactly once, oldest first, and then ends', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (const [n, first] of [100, 100, 50].entries()) {
      const page = expectConnection(await listUsers(server, admin.token, { first, after }));
      expect(page.edges).toHaveLength(first);
      expect(page.totalCount).toBe(250);
      expect(page.pageInfo).toEqual({
        hasNextPage: n < 2,
        endCursor: page.edges.at(-1)!.cursor,
      });
      seen.push(...page.edges.map((edge) => edge.node.id));
      after = page.pageInfo.endCursor;
    }

    expectNoRepeats(seen);
    expect([...seen].sort()).toEqual([admin.id, ...registered.map((user) => user.id)].sort());
    // Oldest first: the admin made at start-up, then each batch before the one registered after it.
    expect(seen[0]).toBe(admin.id);
    const position = new Map(seen.map((id, i) => [id, i]));
    for (let start = BATCH; start < registered.length; start += BATCH) {
      const earlier = registered.slice(start - BATCH, start).map((u) => position.get(u.id)!);
      const later = registered.slice(start, start + BATCH).map((u) => position.get(u.id)!);
      expect(Math.max(...earlier)).toBeLessThan(Math.min(...later));
    }

    const beyond = expectConnection(await listUsers(server, admin.token, { first: 100, after }));
    expect(beyond).toMatchObject({
      edges: [],
      pageInfo: { hasNextPage: false, endCursor: null },
      totalCount: 250,
    });
  });

  it('the order is stable: other page sizes give the same sequence, with distinct cursors', async () => {
    const byHundred = await walk(server, admin.token, 100);
    const bySeven = await walk(server, admin.token, 7);
    expect(bySeven).toHaveLength(Math.ceil(250 / 7));
    expect(idsOf(bySeven)).toEqual(idsOf(byHundred));
    const cursors = byHundred.flatMap((page) => page.edges.map((edge) => edge.cursor));
    expect(new Set(cursors).size).toBe(250);
    for (const page of [...byHundred, ...bySeven]) {
      expect(page.pageInfo.endCursor).toBe(page.edges.at(-1)?.cursor);
    }
  });

  it('first defaults to 20', async () => {
    const page = expectConnection(await listUsers(server, admin.token, {}));
    expect(page.edges).toHaveLength(20);
    expect(page.pageInfo.hasNextPage).toBe(true);
    const [first100] = await walk(server, admin.token, 100);
    expect(page.edges.map((edge) => edge.node.id)).toEqual(idsOf([first100!]).slice(0, 20));
  });

  it('a search pages by cursor too, and totalCount counts its matches on every page', async () => {
    const evens = registered.filter((_, i) => i % 2 === 0).map((user) => user.id);
    const pages = await walk(server, admin.token, 50, 'even');
    expect(pages.map((page) => page.edges.length)).toEqual([50, 50, 25]);
    expect(pages.map((page) => page.totalCount)).toEqual([125, 125, 125]);
    const ids = idsOf(pages);
    expectNoRepeats(ids);
    expect([...ids].sort()).toEqual([...evens].sort());

    const odd = expectConnection(await listUsers(server, admin.token, { search: 'ODD' }));
    expect(odd.totalCount).toBe(124);
  });

  it('users registered between and during page requests: nobody who existed is skipped or repeated', async () => {
    const before = idsOf(await walk(server, admin.token, 100));
    const existing = new Set(before);
    const added: Registered[] = [];
    const seen: string[] = [];

    // Page 1, then 10 registrations, page 2 while 10 more register, then on to the end.
    const page1 = expectConnection(await listUsers(server, admin.token, { first: 100 }));
    expect(page1.totalCount).toBe(existing.size);
    seen.push(...page1.edges.map((edge) => edge.node.id));

    added.push(...(await registerMany(server, 10)));
    const [page2Body, during] = await Promise.all([
      listUsers(server, admin.token, { first: 100, after: page1.pageInfo.endCursor }),
      registerMany(server, 10),
    ]);
    const page2 = expectConnection(page2Body);
    // Counted at some moment while the second ten registered.
    expect(page2.totalCount).toBeGreaterThanOrEqual(existing.size + 10);
    expect(page2.totalCount).toBeLessThanOrEqual(existing.size + 20);
    seen.push(...page2.edges.map((edge) => edge.node.id));
    added.push(...during);

    let after = page2.pageInfo.endCursor;
    let hasNextPage = page2.pageInfo.hasNextPage;
    while (hasNextPage) {
      added.push(...(await registerMany(server, 5)));
      const page = expectConnection(await listUsers(server, admin.token, { first: 100, after }));
      expect(page.totalCount).toBe(existing.size + added.length);
      seen.push(...page.edges.map((edge) => edge.node.id));
      ({ hasNextPage } = page.pageInfo);
      after = page.pageInfo.endCursor;
      expect(seen.length).toBeLessThan(1000);
    }

    expectNoRepeats(seen);
    const addedIds = new Set(added.map((user) => user.id));
    expect(seen.filter((id) => !existing.has(id) && !addedIds.has(id))).toEqual([]);
    // Every user who existed before is there, in the order they had before.
    expect(seen.filter((id) => existing.has(id))).toEqual(before);
  });

  it('users deleted between page requests skip nobody, not even when the cursor names one of them', async () => {
    const before = idsOf(await walk(server, admin.token, 100));
    const byId = new Map(registered.map((user) => [user.id, user]));

    const page1 = expectConnection(await listUsers(server, admin.token, { first: 50 }));
    const onPage1 = page1.edges.map((edge) => edge.node.id);
    // The user the cursor points at, and one earlier on the page, delete their accounts.
    const gone = [onPage1[49]!, onPage1[20]!].map((id) => byId.get(id)!);
    for (const user of gone) {
      const { body } = await server.request(
        DeleteAccountDocument,
        { password: user.password },
        bearer(user.token),
      );
      expect(body.data?.deleteAccount.__typename).toBe('AccountDeleted');
    }

    const page2 = expectConnection(
      await listUsers(server, admin.token, { first: 50, after: page1.pageInfo.endCursor }),
    );
    expect(page2.totalCount).toBe(before.length - 2);
    expect(page2.edges.map((edge) => edge.node.id)).toEqual(before.slice(50, 100));
  });
});

describe('users while a registration waits for its hash', () => {
  it('a page read before its insert, and the pages after it, list it: ids follow insert order', async () => {
    // One instance hashes one password at a time, so a registration waits its turn there while
    // another instance on the same database registers a user at once.
    const folder = scratchFolder();
    const database = scratchDatabase(folder.path);
    const { server: slow, admin } = await startServerWithAdmin({
      DATABASE_URL: database.url,
      PASSWORD_HASH_CONCURRENCY: '1',
    });
    const quick = await startServer({ DATABASE_URL: database.url });
    try {
      const ahead = await fillHashLine(slow, 40);
      const { answer: waiting } = await inLine(() => registerUser(slow));
      const early = await registerUser(quick); // stored while `waiting` is still in line
      const page1 = expectConnection(await listUsers(quick, admin.token, { first: 100 }));
      expect(page1.pageInfo.hasNextPage).toBe(false);
      const late = await waiting;
      const lined = (await Promise.all(ahead)) as Registered[];

      // On from where page 1 ended, as a client that paged meanwhile goes on.
      const seen = page1.edges.map((edge) => edge.node.id);
      let after = page1.pageInfo.endCursor;
      for (let more = true; more;) {
        const page = expectConnection(await listUsers(quick, admin.token, { first: 100, after }));
        seen.push(...page.edges.map((edge) => edge.node.id));
        ({ hasNextPage: more, endCursor: after } = page.pageInfo);
      }
      expectNoRepeats(seen);
      expect(seen).toContain(early.id);
      expect(seen).toContain(late.id); // stored after page 1: on a later page, not skipped
      // (The users registered in line before it are not checked here: one may have been storing
      // on its own connection as page 1 was read, the limit the README tells of.)

      // Listed in id order, users come in the order they were stored: createdAt never goes back.
      const all = (await walk(quick, admin.token, 100)).flatMap((page) => page.edges);
      expect(all.map((edge) => edge.node.id).sort()).toEqual(
        [admin.id, early.id, late.id, ...lined.map((user) => user.id)].sort(),
      );
      const times = all.map((edge) => Date.parse(edge.node.createdAt));
      expect(times).toEqual([...times].sort((a, b) => a - b));
    } finally {
      await quick.close();
      await slow.close();
      await database.drop();
      folder.remove();
    }
  });
});

describe('usernames stored before search folded the final sigma', () => {
  it('are found by σ once start-up has applied the migration', async () => {
    const folder = scratchFolder();
    const database = scratchDatabase(folder.path);
    const env = { DATABASE_URL: database.url };
    let { server, admin } = await startServerWithAdmin(env);
    try {
      const sigmas = await registerUser(server, { username: 'ΣΣ Old' });
      // The database as it was before: the name's search form as toLowerCase left it, and the
      // migration not applied yet.
      const sql = server.app.orm.em.getConnection();
      const name = 'Migration20261204120000_username_folded_sigma';
      const applied = (await sql.execute('select name from mikro_orm_migrations')) as {
        name: string;
      }[];
      expect(applied.map((row) => row.name)).toContain(name);
      await sql.execute('delete from mikro_orm_migrations where name = ?', [name]);
      await sql.execute("update users set username_folded = 'σς old' where id = ?", [sigmas.id]);
      const stale = await listUsers(server, admin.token, { search: 'σσ' });
      expect(expectConnection(stale).totalCount).toBe(0);
      await server.close();

      ({ server, admin } = await startServerWithAdmin(env));
      const found = expectConnection(await listUsers(server, admin.token, { search: 'σσ' }));
      expect(found.edges.map((edge) => edge.node.id)).toEqual([sigmas.id]);
    } finally {
      await server.close();
      await database.drop();
      folder.remove();
    }
  });
});

describe('users and setRole', () => {
  let server: TestServer;
  let admin: SignedInAdmin;

  beforeAll(async () => {
    ({ server, admin } = await startServerWithAdmin());
  });
  afterAll(() => server.close());

  describe('first and after are checked', () => {
    it.each([0, 101, -1])('first: %i is InvalidInput 1001 on field first', async (first) => {
      expectInvalidInput(await listUsers(server, admin.token, { first }), 'first');
    });

    it('first: 1 and first: 100 are accepted', async () => {
      await registerUser(server);
      const one = expectConnection(await listUsers(server, admin.token, { first: 1 }));
      expect(one.edges).toHaveLength(1);
      expect(one.pageInfo.hasNextPage).toBe(true);
      const hundred = expectConnection(await listUsers(server, admin.token, { first: 100 }));
      expect(hundred.edges.length).toBe(Math.min(100, hundred.totalCount));
    });

    it('users takes first: Int = 20, after: String, search: String, as the contract fixes them', async () => {
      const { body } = await server.post(
        JSON.stringify({
          query:
            '{ __type(name: "Query") { fields { name args { name defaultValue type { kind name } } } } }',
        }),
      );
      const data = body.data as {
        __type: {
          fields: {
            name: string;
            args: { name: string; defaultValue: string | null; type: object }[];
          }[];
        };
      };
      const args = data.__type.fields.find((field) => field.name === 'users')!.args;
      expect([...args].sort((a, b) => a.name.localeCompare(b.name))).toEqual([
        { name: 'after', defaultValue: null, type: { kind: 'SCALAR', name: 'String' } },
        { name: 'first', defaultValue: '20', type: { kind: 'SCALAR', name: 'Int' } },
        { name: 'search', defaultValue: null, type: { kind: 'SCALAR', name: 'String' } },
      ]);
    });

    it('search: 254 characters are searched; 255, or a NUL, are InvalidInput 1001 on field search', async () => {
      const page = expectConnection(
        await listUsers(server, admin.token, { search: 'q'.repeat(254) }),
      );
      expect(page.totalCount).toBe(0);
      for (const search of ['q'.repeat(255), 'ada\u0000', '\u0000']) {
        expectInvalidInput(await listUsers(server, admin.token, { search }), 'search');
      }
    });

    it('first: null is InvalidInput 1001 on field first, not an internal error', async () => {
      expectInvalidInput(await listUsers(server, admin.token, { first: null }), 'first');
    });

    it('a cursor whose id is spelled in upper case pages on from the same user', async () => {
      await Promise.all([registerUser(server), registerUser(server), registerUser(server)]);
      const { edges } = expectConnection(await listUsers(server, admin.token, { first: 100 }));
      const b64 = (text: string) => Buffer.from(text).toString('base64url');
      // Any id with a letter (nearly every one): its upper case sorts before it as text.
      const at = edges.findIndex((edge, i) => i < edges.length - 1 && /[a-f]/.test(edge.node.id));
      expect(at).toBeGreaterThanOrEqual(0);
      const { cursor, node } = edges[at]!;
      const upper = b64(`user:${node.id.toUpperCase()}`);
      expect(upper).not.toBe(cursor);
      const next = expectConnection(await listUsers(server, admin.token, { after: cursor }));
      const fromUpper = expectConnection(await listUsers(server, admin.token, { after: upper }));
      expect(next.edges[0]!.node.id).toBe(edges[at + 1]!.node.id);
      expect(fromUpper).toEqual(next);
    });

    it('a cursor the API did not give out is InvalidInput 1001 on field after', async () => {
      const page = expectConnection(await listUsers(server, admin.token, { first: 1 }));
      const real = page.pageInfo.endCursor!;
      const b64 = (text: string) => Buffer.from(text).toString('base64url');
      const forged = [
        'garbage',
        '!!!not base64!!!',
        b64('offset:20'),
        b64('20'),
        b64(admin.id), // a real id, not encoded as a cursor
        Buffer.from(JSON.stringify({ id: admin.id })).toString('base64'),
        b64(`user:${admin.account}`),
        real.slice(0, -1),
        `${real}AA`,
      ];
      for (const after of forged) {
        expectInvalidInput(await listUsers(server, admin.token, { first: 10, after }), 'after');
      }
      // The real one still works.
      expectConnection(await listUsers(server, admin.token, { first: 10, after: real }));
    });
  });

  describe('search matches the start of username, email or account', () => {
    const tag = letters();
    const TAG = tag.toUpperCase();
    let ann: Registered;
    let bob: Registered;

    beforeAll(async () => {
      [ann, bob] = await Promise.all([
        registerUser(server, { username: `Nm${tag} Ann`, email: `em${tag}.ann@example.com` }),
        registerUser(server, { username: `Nm${tag} Bob`, email: `EM${TAG}.Bob@Example.COM` }),
      ]);
    });

    const search = async (term: string) =>
      expectConnection(await listUsers(server, admin.token, { search: term, first: 100 }));
    const idsFor = async (term: string) =>
      (await search(term)).edges.map((edge) => edge.node.id).sort();

    it('a prefix of the username, in any case', async () => {
      const both = [ann.id, bob.id].sort();
      expect(await idsFor(`Nm${tag}`)).toEqual(both);
      expect(await idsFor(`nm${tag}`)).toEqual(both);
      expect(await idsFor(`NM${TAG}`)).toEqual(both);
      expect(await idsFor(`nM${tag} b`)).toEqual([bob.id]);
      const found = await search(`NM${TAG} A`);
      expect(found.totalCount).toBe(1);
      expect(found.edges[0]!.node).toMatchObject({ id: ann.id, username: `Nm${tag} Ann` });
    });

    it('a prefix of the email, in any case', async () => {
      expect(await idsFor(`EM${TAG}.ANN`)).toEqual([ann.id]); // stored in lower case
      expect(await idsFor(`em${tag}.bob@example.c`)).toEqual([bob.id]); // stored in upper case
      expect(await idsFor(`Em${tag}.`)).toEqual([ann.id, bob.id].sort());
    });

    it('a prefix of the account number', async () => {
      const exact = await search(ann.account);
      expect(exact.totalCount).toBe(1);
      expect(exact.edges.map((edge) => edge.node.id)).toEqual([ann.id]);

      const prefix = ann.account.slice(0, 4);
      const found = await search(prefix);
      expect(found.edges.map((edge) => edge.node.id)).toContain(ann.id);
      expect(found.totalCount).toBe(found.edges.length);
      for (const { node } of found.edges) {
        expect(
          [node.account, node.username.toLowerCase(), node.email!.toLowerCase()].some((text) =>
            text.startsWith(prefix),
          ),
        ).toBe(true);
      }
    });

    it('a non-ASCII username is found by its prefix as written', async () => {
      const elodie = await registerUser(server, { username: `Élodie${tag}` });
      expect(await idsFor(`Élodie${tag}`)).toEqual([elodie.id]);
      expect(await idsFor(`Élo`)).toContain(elodie.id);
    });

    it('a non-ASCII username is found by its prefix in any case', async () => {
      // SQLite's lower() and LIKE fold only ASCII letters: É and é must still match each other.
      const elodie = await registerUser(server, { username: `Élodie${tag}x` });
      expect(await idsFor(`élodie${tag}x`)).toEqual([elodie.id]);
      expect(await idsFor(`ÉLODIE${TAG}X`)).toEqual([elodie.id]);
      const ivan = await registerUser(server, { username: `Иван ${tag}` });
      expect(await idsFor(`иван ${tag}`)).toEqual([ivan.id]);
      expect(await idsFor(`ИВАН ${tag}`)).toEqual([ivan.id]);
    });

    it('a Greek name is found by its prefix in any case, whatever its sigmas', async () => {
      // Lower-cased, a word-final Σ is ς: a search that ends on Σ, or a name that does, would
      // otherwise compare a ς with a σ.
      const odysseas = await registerUser(server, { username: `Οδυσσέας ${tag}` });
      const sigmas = await registerUser(server, { username: `ΣΣ ${tag}` });
      expect(await idsFor('ΟΔΥΣ')).toEqual([odysseas.id]);
      expect(await idsFor('οδυς')).toEqual([odysseas.id]);
      expect(await idsFor(`ΟΔΥΣΣΈΑΣ ${TAG}`)).toEqual([odysseas.id]);
      expect(await idsFor(`οδυσσέασ ${tag}`)).toEqual([odysseas.id]);
      expect(await idsFor('σσ')).toEqual([sigmas.id]);
      expect(await idsFor('ΣΣ')).toEqual([sigmas.id]);
      expect(await idsFor(`σς ${tag}`)).toEqual([sigmas.id]);
    });

    it('a search that matches nobody gives no edges and totalCount 0', async () => {
      expect(await search(`zz${tag}nobody`)).toEqual({
        __typename: 'UserConnection',
        edges: [],
        pageInfo: { hasNextPage: false, endCursor: null },
        totalCount: 0,
      });
    });

    it('text in the middle of a username or email does not match', async () => {
      // The tag is inside both names and both emails, never at their start.
      expect((await search(tag)).totalCount).toBe(0);
      expect((await search(`${tag} Ann`)).totalCount).toBe(0);
      expect((await search(`${tag}.bob@`)).totalCount).toBe(0);
      expect(await idsFor('Ann')).not.toContain(ann.id);
    });

    it("LIKE wildcards are literal: '_' and '%' match only themselves", async () => {
      // '_' may be in a username, '%' in an email's local part; either as a wildcard would
      // also match the second user of each pair.
      const [underscore, plainU, percent, plainP, leading] = await Promise.all([
        registerUser(server, { username: `W${tag}_1` }),
        registerUser(server, { username: `W${tag}x1` }),
        registerUser(server, { email: `p${tag}%1@example.com` }),
        registerUser(server, { email: `p${tag}x1@example.com` }),
        registerUser(server, { email: `%${tag}@example.com` }),
      ]);
      expect(await idsFor(`w${tag}_`)).toEqual([underscore.id]);
      expect(await idsFor(`w${tag}`)).toEqual([underscore.id, plainU.id].sort());
      expect(await idsFor(`p${tag}%`)).toEqual([percent.id]);
      expect(await idsFor(`p${tag}`)).toEqual([percent.id, plainP.id].sort());

      // '%' alone: only users whose email starts with '%' (no username may), not everyone.
      const everyone = expectConnection(await listUsers(server, admin.token, { first: 1 }));
      const percentOnly = await search('%');
      expect(percentOnly.edges.map((edge) => edge.node.id)).toContain(leading.id);
      expect(percentOnly.totalCount).toBeLessThan(everyone.totalCount);
      for (const { node } of percentOnly.edges) expect(node.email).toMatch(/^%/);
      expect((await search('_')).totalCount).toBe(0); // no username, email or account starts with '_'
    });

    it('a backslash is literal too, not an escape', async () => {
      // `w<tag>\_1` would find `W<tag>_1` if the backslash escaped the underscore.
      await registerUser(server, { username: `V${tag}_1` });
      expect((await search(`v${tag}\\_1`)).totalCount).toBe(0);
      expect((await search('\\')).totalCount).toBe(0);
    });
  });

  describe('only admins may use them', () => {
    it('a signed-in USER gets InsufficientPermissions 1011 from users', async () => {
      const user = await registerUser(server);
      expectNotAllowed(await listUsers(server, user.token, {}));
      expectNotAllowed(await listUsers(server, user.token, { first: 5, search: 'a' }));
      // Permission is checked before the arguments: nothing is revealed about them.
      expectNotAllowed(await listUsers(server, user.token, { first: 0, after: 'garbage' }));
    });

    it('a signed-in USER gets InsufficientPermissions 1011 from setRole, even for themself', async () => {
      const user = await registerUser(server);
      expectNotAllowed(await setRole(server, user.token, { userId: user.id, role: 'ADMIN' }));
      expectNotAllowed(await setRole(server, user.token, { userId: admin.id, role: 'USER' }));
      expect(await roleOf(server, user.token)).toBe('USER');
      expect(await roleOf(server, admin.token)).toBe('ADMIN');
    });

    it('no token is InvalidToken 1010 for users and setRole', async () => {
      const user = await registerUser(server);
      expectFailure(await listUsers(server, null, {}), 'InvalidToken', 1010, 'INVALID_TOKEN_ERROR');
      expectFailure(
        await setRole(server, null, { userId: user.id, role: 'ADMIN' }),
        'InvalidToken',
        1010,
        'INVALID_TOKEN_ERROR',
      );
      expect(await roleOf(server, user.token)).toBe('USER');
    });
  });

  describe('setRole', () => {
    it('an admin promotes a user: the result is that User with role ADMIN', async () => {
      const user = await registerUser(server);
      const promoted = expectUser(
        await setRole(server, admin.token, { userId: user.id, role: 'ADMIN' }),
      );
      expect(promoted).toMatchObject({
        __typename: 'User',
        id: user.id,
        account: user.account,
        email: user.email,
        role: 'ADMIN',
      });
      expect(await roleOf(server, user.token)).toBe('ADMIN');
    });

    it("a promotion applies to the user's existing access token on its next request", async () => {
      const user = await registerUser(server);
      expectNotAllowed(await listUsers(server, user.token, {}));
      expectUser(await setRole(server, admin.token, { userId: user.id, role: 'ADMIN' }));
      const page = expectConnection(await listUsers(server, user.token, { search: user.email }));
      expect(page.edges.map((edge) => edge.node.id)).toEqual([user.id]);
    });

    it("a demotion applies to the user's existing access token on its next request", async () => {
      const user = await registerUser(server);
      expectUser(await setRole(server, admin.token, { userId: user.id, role: 'ADMIN' }));
      expectConnection(await listUsers(server, user.token, {}));
      const demoted = expectUser(
        await setRole(server, admin.token, { userId: user.id, role: 'USER' }),
      );
      expect(demoted).toMatchObject({ id: user.id, role: 'USER' });
      expectNotAllowed(await listUsers(server, user.token, {}));
      expectNotAllowed(await setRole(server, user.token, { userId: user.id, role: 'ADMIN' }));
    });

    it('setting the role a user already has returns them unchanged', async () => {
      const user = await registerUser(server);
      expect(
        expectUser(await setRole(server, admin.token, { userId: user.id, role: 'USER' })),
      ).toMatchObject({ id: user.id, role: 'USER' });
      expect(await roleOf(server, user.token)).toBe('USER');
    });

    it('an unknown user id is UserNotExist 1016', async () => {
      for (const userId of [randomUUID(), '0190a000-0000-7000-8000-000000000000']) {
        expectFailure(
          await setRole(server, admin.token, { userId, role: 'ADMIN' }),
          'UserNotExist',
          1016,
          'USER_NOT_EXIST',
        );
      }
    });

    it('an id that is not a UUID is UserNotExist 1016', async () => {
      const user = await registerUser(server);
      for (const userId of ['not-a-uuid', '42', user.account, `${user.id}x`, "' or 1=1 --"]) {
        expectFailure(
          await setRole(server, admin.token, { userId, role: 'ADMIN' }),
          'UserNotExist',
          1016,
          'USER_NOT_EXIST',
        );
      }
      expect(await roleOf(server, user.token)).toBe('USER');
    });
  });

  it("a deleted admin's token: setRole is UserNotExist 1016, users (no UserNotExist) 1010", async () => {
    const gone = await registerUser(server);
    expectUser(await setRole(server, admin.token, { userId: gone.id, role: 'ADMIN' }));
    const { body } = await server.request(
      DeleteAccountDocument,
      { password: gone.password },
      bearer(gone.token),
    );
    expect(body.data?.deleteAccount.__typename).toBe('AccountDeleted');
    const user = await registerUser(server);
    expectFailure(
      await setRole(server, gone.token, { userId: user.id, role: 'ADMIN' }),
      'UserNotExist',
      1016,
      'USER_NOT_EXIST',
    );
    expectFailure(
      await listUsers(server, gone.token, { first: 1 }),
      'InvalidToken',
      1010,
      'INVALID_TOKEN_ERROR',
    );
    expect(await roleOf(server, user.token)).toBe('USER');
  });

  it("an admin sees other users' emails in users", async () => {
    const tag = letters();
    const users = await Promise.all(
      ['One', 'Two', 'Three'].map((name) =>
        registerUser(server, {
          username: `Mail${tag} ${name}`,
          email: `${name}.${tag}@Example.org`,
        }),
      ),
    );
    const page = expectConnection(await listUsers(server, admin.token, { search: `mail${tag}` }));
    expect(page.edges.map((edge) => [edge.node.id, edge.node.email]).sort()).toEqual(
      users.map((user) => [user.id, user.email]).sort(),
    );
  });
});

describe('the last admin cannot be demoted', () => {
  let server: TestServer;
  let admin: SignedInAdmin;

  // Each rule gets a server whose only admin is the start-up one.
  beforeEach(async () => {
    ({ server, admin } = await startServerWithAdmin());
  });
  afterEach(() => server.close());

  /** Registers a user and makes them a second admin. */
  async function secondAdmin(): Promise<Registered> {
    const user = await registerUser(server);
    expectUser(await setRole(server, admin.token, { userId: user.id, role: 'ADMIN' }));
    return user;
  }

  async function admins(token: string): Promise<string[]> {
    const pages = await walk(server, token, 100);
    return pages
      .flatMap((page) => page.edges.map((edge) => edge.node))
      .filter((node) => node.role === 'ADMIN')
      .map((node) => node.id);
  }

  it('the only admin cannot demote themself: 1011, and they stay ADMIN', async () => {
    expectNotAllowed(await setRole(server, admin.token, { userId: admin.id, role: 'USER' }));
    expect(await roleOf(server, admin.token)).toBe('ADMIN');
    expectConnection(await listUsers(server, admin.token, {}));
    expect(await admins(admin.token)).toEqual([admin.id]);
  });

  it('with two admins, one can demote the other', async () => {
    const second = await secondAdmin();
    const demoted = expectUser(
      await setRole(server, second.token, { userId: admin.id, role: 'USER' }),
    );
    expect(demoted).toMatchObject({ id: admin.id, role: 'USER' });
    expect(await roleOf(server, admin.token)).toBe('USER');
    expect(await admins(second.token)).toEqual([second.id]);
  });

  it('then the remaining admin cannot be demoted', async () => {
    const second = await secondAdmin();
    expectUser(await setRole(server, admin.token, { userId: second.id, role: 'USER' }));
    expectNotAllowed(await setRole(server, admin.token, { userId: admin.id, role: 'USER' }));
    expectNotAllowed(await setRole(server, second.token, { userId: admin.id, role: 'USER' }));
    expect(await roleOf(server, admin.token)).toBe('ADMIN');
    expect(await admins(admin.token)).toEqual([admin.id]);
  });

  it('with two admins, one may step down; the other is then the last', async () => {
    const second = await secondAdmin();
    expect(
      expectUser(await setRole(server, second.token, { userId: second.id, role: 'USER' })),
    ).toMatchObject({ id: second.id, role: 'USER' });
    expectNotAllowed(await setRole(server, admin.token, { userId: admin.id, role: 'USER' }));
    expect(await admins(admin.token)).toEqual([admin.id]);
  });

  it('two admins demoting each other at the same moment leave exactly one admin', async () => {
    let survivor = { id: admin.id, token: admin.token };
    for (let round = 0; round < 5; round++) {
      const other = await registerUser(server);
      expectUser(await setRole(server, survivor.token, { userId: other.id, role: 'ADMIN' }));
      const pair = [survivor, { id: other.id, token: other.token }];
      const results = await Promise.all([
        setRole(server, pair[0]!.token, { userId: pair[1]!.id, role: 'USER' }),
        setRole(server, pair[1]!.token, { userId: pair[0]!.id, role: 'USER' }),
      ]);
      const won = results.map((body) => body.data?.setRole.__typename === 'User');
      expect(won.filter(Boolean)).toHaveLength(1);
      const loser = results[won.indexOf(false)]!;
      expectNotAllowed(loser);
      survivor = pair[won.indexOf(true)]!;
      expect(await admins(survivor.token)).toEqual([survivor.id]);
    }
  });

  it('two admins stepping down at the same moment leave exactly one admin', async () => {
    let remaining: { id: string; token: string } = admin;
    for (let round = 0; round < 5; round++) {
      const other = await registerUser(server);
      expectUser(await setRole(server, remaining.token, { userId: other.id, role: 'ADMIN' }));
      const pair = [remaining, other];
      const results = await Promise.all(
        pair.map((who) => setRole(server, who.token, { userId: who.id, role: 'USER' })),
      );
      const won = results.map((body) => body.data?.setRole.__typename === 'User');
      expect(won.filter(Boolean)).toHaveLength(1);
      expectNotAllowed(results[won.indexOf(false)]!);
      remaining = pair[won.indexOf(false)]!;
      expect(await admins(remaining.token)).toEqual([remaining.id]);
    }
  });
});
