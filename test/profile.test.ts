import { randomUUID } from 'node:crypto';
import {
  DeleteAccountDocument,
  LoginDocument,
  LogoutDocument,
  type LoginInput,
  MeDocument,
  UpdateProfileDocument,
  type UpdateProfileInput,
  type UpdateProfileMutation,
  UserByIdDocument,
} from './generated/graphql';
import { registerUser, type Registered } from './support/accounts';
import { bearer, type GraphQLResponse, startServer, type TestServer } from './support/server';

const ADMIN_EMAIL = 'root@example.com';
const ADMIN_PASSWORD = 'admin password 42';

let server: TestServer;
let adminToken: string;
let adminId: string;

beforeAll(async () => {
  server = await startServer({ ADMIN_EMAIL, ADMIN_PASSWORD });
  const admin = await login({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
  if (admin.__typename !== 'AuthPayload') throw new Error(`admin login: ${admin.__typename}`);
  expect(admin.user.role).toBe('ADMIN');
  adminToken = admin.accessToken;
  adminId = admin.user.id;
});
afterAll(() => server.close());

type Body = GraphQLResponse<UpdateProfileMutation>['body'];

async function update(
  input: UpdateProfileInput,
  headers?: Record<string, string>,
  userId?: string | null,
): Promise<Body> {
  const variables = userId === undefined ? { input } : { input, userId };
  return (await server.request(UpdateProfileDocument, variables, headers)).body;
}

async function login(input: LoginInput) {
  const { body } = await server.request(LoginDocument, { input });
  return body.data!.login;
}

/** The user as they see themself. */
async function me(user: Registered) {
  const { body } = await server.request(MeDocument, {}, bearer(user.token));
  const result = body.data!.me;
  if (result.__typename !== 'User') throw new Error(JSON.stringify(body));
  return result;
}

/** The user as an admin sees them (email included), independent of the user's own token. */
async function stored(id: string) {
  const { body } = await server.request(UserByIdDocument, { id }, bearer(adminToken));
  const result = body.data!.user;
  if (result.__typename !== 'User') throw new Error(JSON.stringify(body));
  return result;
}

function expectUpdated(body: Body) {
  expect(body.errors).toBeUndefined();
  expect(body.extensions).toEqual({ infocode: 1000, info: 'OK' });
  const result = body.data!.updateProfile;
  if (result.__typename !== 'User') throw new Error(JSON.stringify(body));
  return result;
}

/** The same code in all three places: the union member, no `errors`, and the envelope. */
function expectFailure(body: Body, typename: string, infocode: number, info: string) {
  expect(body.errors).toBeUndefined();
  const result = body.data!.updateProfile;
  expect(result).toMatchObject({ __typename: typename, infocode, info });
  if (result.__typename === 'User') throw new Error('expected an error member');
  expect(typeof result.message).toBe('string');
  expect(result.message.trim()).not.toBe('');
  expect(body.extensions).toEqual({ infocode, info });
  return result;
}

function expectInvalidInput(body: Body, infocode: number, info: string, field?: string) {
  const result = expectFailure(body, 'InvalidInput', infocode, info);
  if (result.__typename !== 'InvalidInput') throw new Error(result.__typename);
  if (field !== undefined) expect(result.field).toBe(field);
  expect(result.violations[0]).toMatchObject({ infocode, info, ...(field ? { field } : {}) });
  return result;
}

const unique = () => randomUUID().slice(0, 8);

describe('updateProfile changes the caller', () => {
  it('changes username, avatar and introduction, and me shows them', async () => {
    const user = await registerUser(server);
    const result = expectUpdated(
      await update(
        {
          username: 'New Name',
          avatar: 'https://cdn.example.com/new.png',
          introduction: 'Hi, 我是新用户 👋',
        },
        bearer(user.token),
      ),
    );
    expect(result).toMatchObject({
      id: user.id,
      username: 'New Name',
      avatar: 'https://cdn.example.com/new.png',
      introduction: 'Hi, 我是新用户 👋',
      email: user.email,
    });
    expect(await me(user)).toMatchObject({
      id: user.id,
      account: user.account,
      username: 'New Name',
      avatar: 'https://cdn.example.com/new.png',
      introduction: 'Hi, 我是新用户 👋',
      email: user.email,
      role: 'USER',
    });
  });

  it('leaves fields it is not given as they were', async () => {
    const user = await registerUser(server, {
      avatar: 'https://cdn.example.com/a.png',
      introduction: 'Hello',
    });
    expectUpdated(await update({ username: 'Only Name' }, bearer(user.token)));
    expect(await me(user)).toMatchObject({
      username: 'Only Name',
      avatar: 'https://cdn.example.com/a.png',
      introduction: 'Hello',
      email: user.email,
    });
  });

  it('accepts an introduction of exactly 200 graphemes (emoji sequences and 汉字 count as one)', async () => {
    const user = await registerUser(server);
    const introduction = '👨‍👩‍👧'.repeat(100) + '汉'.repeat(100);
    const result = expectUpdated(await update({ introduction }, bearer(user.token)));
    expect(result.introduction).toBe(introduction);
    expect((await me(user)).introduction).toBe(introduction);
  });

  it('null clears avatar and introduction', async () => {
    const user = await registerUser(server, {
      avatar: 'https://cdn.example.com/a.png',
      introduction: 'Hello',
    });
    const result = expectUpdated(
      await update({ avatar: null, introduction: null }, bearer(user.token)),
    );
    expect(result.avatar).toBeNull();
    expect(result.introduction).toBeNull();
    expect(await me(user)).toMatchObject({
      username: user.username,
      avatar: null,
      introduction: null,
    });
  });

  it('null cannot clear username or email (required fields): InvalidInput 1001', async () => {
    const user = await registerUser(server);
    expectInvalidInput(
      await update({ username: null }, bearer(user.token)),
      1001,
      'MISSING_REQUIRED_PARAMS',
      'username',
    );
    expectInvalidInput(
      await update({ email: null, currentPassword: user.password }, bearer(user.token)),
      1001,
      'MISSING_REQUIRED_PARAMS',
      'email',
    );
    expect(await me(user)).toMatchObject({ username: user.username, email: user.email });
  });

  it('no field to change is InvalidInput 1001', async () => {
    const user = await registerUser(server);
    expectInvalidInput(await update({}, bearer(user.token)), 1001, 'MISSING_REQUIRED_PARAMS');
  });

  it('currentPassword alone is not a change: InvalidInput 1001', async () => {
    const user = await registerUser(server);
    expectInvalidInput(
      await update({ currentPassword: user.password }, bearer(user.token)),
      1001,
      'MISSING_REQUIRED_PARAMS',
    );
  });

  it('passing one’s own userId changes the caller', async () => {
    const user = await registerUser(server);
    const result = expectUpdated(
      await update({ username: 'Self Edit' }, bearer(user.token), user.id),
    );
    expect(result.id).toBe(user.id);
    expect((await me(user)).username).toBe('Self Edit');
  });

  it('passing one’s own userId in upper case is still one’s own (UUIDs are case-insensitive)', async () => {
    const user = await registerUser(server);
    const result = expectUpdated(
      await update({ username: 'Upper Self' }, bearer(user.token), user.id.toUpperCase()),
    );
    expect(result.id).toBe(user.id);
    expect((await me(user)).username).toBe('Upper Self');
  });

  it('a blank userId, or one’s own with spaces around it, is one’s own (as absent)', async () => {
    const user = await registerUser(server);
    for (const [userId, username] of [
      ['', 'Blank Self'],
      ['   ', 'Spaces Self'],
      [` ${user.id} `, 'Padded Self'],
    ] as const) {
      const result = expectUpdated(await update({ username }, bearer(user.token), userId));
      expect(result.id).toBe(user.id);
      expect((await me(user)).username).toBe(username);
    }
  });
});

describe('updateProfile leaves the stored profile untouched when it refuses', () => {
  it('an invalid field refuses the whole input, listing every violation', async () => {
    const user = await registerUser(server, {
      avatar: 'https://cdn.example.com/a.png',
      introduction: 'Hello',
    });
    const result = expectInvalidInput(
      await update(
        {
          username: 'Valid Name',
          avatar: 'ftp://example.com/a.png',
          introduction: 'あ'.repeat(201),
        },
        bearer(user.token),
      ),
      1005,
      'AVATAR_FONT_LENGTH',
      'avatar',
    );
    expect(result.violations.map((v) => [v.field, v.infocode, v.info])).toEqual([
      ['avatar', 1005, 'AVATAR_FONT_LENGTH'],
      ['introduction', 1006, 'INTRODUCTION_NOT_SPECIFICATION'],
    ]);
    expect(await me(user)).toMatchObject({
      username: user.username,
      avatar: 'https://cdn.example.com/a.png',
      introduction: 'Hello',
    });
  });

  it.each<[string, UpdateProfileInput, number, string, string]>([
    ['a short username', { username: 'x' }, 1002, 'USERNAME_NON_COMPLIANT', 'username'],
    ['a bad email', { email: 'not-an-email' }, 1004, 'EMAIL_NOT_SPECIFICATION', 'email'],
    [
      'a javascript: avatar',
      { avatar: 'javascript:alert(1)' },
      1005,
      'AVATAR_FONT_LENGTH',
      'avatar',
    ],
    [
      'a 201-grapheme introduction',
      { introduction: '👍'.repeat(201) },
      1006,
      'INTRODUCTION_NOT_SPECIFICATION',
      'introduction',
    ],
  ])('%s', async (_name, input, infocode, info, field) => {
    const user = await registerUser(server, { introduction: 'Before' });
    const before = await me(user);
    expectInvalidInput(
      await update({ ...input, currentPassword: user.password }, bearer(user.token)),
      infocode,
      info,
      field,
    );
    expect(await me(user)).toEqual(before);
  });

  it('a valid username beside an invalid avatar is not half-applied', async () => {
    const user = await registerUser(server);
    expectInvalidInput(
      await update({ username: 'Half Applied', avatar: 'not a url' }, bearer(user.token)),
      1005,
      'AVATAR_FONT_LENGTH',
      'avatar',
    );
    expect((await me(user)).username).toBe(user.username);
  });
});

describe('changing one’s own email', () => {
  it('without currentPassword is InvalidInput 1001 on currentPassword, and changes nothing', async () => {
    const user = await registerUser(server);
    const newEmail = `moved-${unique()}@example.com`;
    expectInvalidInput(
      await update({ email: newEmail }, bearer(user.token)),
      1001,
      'MISSING_REQUIRED_PARAMS',
      'currentPassword',
    );
    expect((await me(user)).email).toBe(user.email);
  });

  it('with an empty currentPassword is InvalidInput 1001 on currentPassword', async () => {
    const user = await registerUser(server);
    expectInvalidInput(
      await update(
        { email: `moved-${unique()}@example.com`, currentPassword: '' },
        bearer(user.token),
      ),
      1001,
      'MISSING_REQUIRED_PARAMS',
      'currentPassword',
    );
    expect((await me(user)).email).toBe(user.email);
  });

  it('with a wrong currentPassword is WrongPassword 1008, and changes nothing', async () => {
    const user = await registerUser(server);
    const newEmail = `moved-${unique()}@example.com`;
    expectFailure(
      await update(
        { email: newEmail, username: 'Not Applied', currentPassword: `${user.password}!` },
        bearer(user.token),
      ),
      'WrongPassword',
      1008,
      'WRONG_PASSWORD',
    );
    expect(await me(user)).toMatchObject({ email: user.email, username: user.username });
    expect((await login({ email: newEmail, password: user.password })).__typename).toBe(
      'UserNotExist',
    );
  });

  it('with the right currentPassword succeeds; login then works with the new email and not the old', async () => {
    const user = await registerUser(server);
    const newEmail = `moved-${unique()}@example.com`;
    const result = expectUpdated(
      await update({ email: newEmail, currentPassword: user.password }, bearer(user.token)),
    );
    expect(result.email).toBe(newEmail);
    expect((await me(user)).email).toBe(newEmail);

    const withNew = await login({ email: newEmail, password: user.password });
    if (withNew.__typename !== 'AuthPayload') throw new Error(withNew.__typename);
    expect(withNew.user.id).toBe(user.id);
    expect(withNew.user.email).toBe(newEmail);

    const withOld = await login({ email: user.email, password: user.password });
    expect(withOld).toMatchObject({ __typename: 'UserNotExist', infocode: 1016 });

    // The old address is free again for someone else.
    const newcomer = await registerUser(server, { email: user.email });
    expect(newcomer.id).not.toBe(user.id);
  });

  it('to its own address in another case needs no password and is not MailboxOccupied', async () => {
    const user = await registerUser(server);
    const result = expectUpdated(
      await update({ email: user.email.toUpperCase() }, bearer(user.token)),
    );
    expect(result.email).toBe(user.email.toUpperCase());
    const again = await login({ email: user.email, password: user.password });
    expect(again.__typename).toBe('AuthPayload');
  });

  it.each([
    ['the same case', (email: string) => email],
    ['upper case', (email: string) => email.toUpperCase()],
    ['mixed case', (email: string) => email.charAt(0).toUpperCase() + email.slice(1)],
  ])(
    'to an email another user has (%s) is MailboxOccupied 1012, and changes nothing',
    async (_name, spell) => {
      const owner = await registerUser(server);
      const user = await registerUser(server);
      expectFailure(
        await update(
          { email: spell(owner.email), username: 'Not Applied', currentPassword: user.password },
          bearer(user.token),
        ),
        'MailboxOccupied',
        1012,
        'MAILBOX_OCCUPIED',
      );
      expect(await me(user)).toMatchObject({ email: user.email, username: user.username });
      const ownerLogin = await login({ email: owner.email, password: owner.password });
      if (ownerLogin.__typename !== 'AuthPayload') throw new Error(ownerLogin.__typename);
      expect(ownerLogin.user.id).toBe(owner.id);
    },
  );
});

describe('editing another user', () => {
  it('a USER passing another user’s userId is InsufficientPermissions 1011, and nothing changes', async () => {
    const victim = await registerUser(server, { introduction: 'Mine' });
    const attacker = await registerUser(server);
    expectFailure(
      await update(
        { username: 'Hijacked', introduction: 'pwned', email: `evil-${unique()}@example.com` },
        bearer(attacker.token),
        victim.id,
      ),
      'InsufficientPermissions',
      1011,
      'INSUFFICIENT_PERMISSIONS',
    );
    expect(await stored(victim.id)).toMatchObject({
      username: victim.username,
      introduction: 'Mine',
      email: victim.email,
    });
    expect(await me(attacker)).toMatchObject({
      username: attacker.username,
      introduction: null,
      email: attacker.email,
    });
  });

  it('a USER passing an admin’s userId is InsufficientPermissions 1011', async () => {
    const user = await registerUser(server);
    expectFailure(
      await update({ username: 'Not Admin' }, bearer(user.token), adminId),
      'InsufficientPermissions',
      1011,
      'INSUFFICIENT_PERMISSIONS',
    );
    expect((await stored(adminId)).username).toBe('Admin');
  });

  it('an admin may change another user’s email with no currentPassword', async () => {
    const user = await registerUser(server);
    const newEmail = `by-admin-${unique()}@example.com`;
    const result = expectUpdated(
      await update({ email: newEmail, username: 'Renamed By Admin' }, bearer(adminToken), user.id),
    );
    expect(result).toMatchObject({ id: user.id, email: newEmail, username: 'Renamed By Admin' });
    expect(await me(user)).toMatchObject({ email: newEmail, username: 'Renamed By Admin' });
    const relogin = await login({ email: newEmail, password: user.password });
    if (relogin.__typename !== 'AuthPayload') throw new Error(relogin.__typename);
    expect(relogin.user.id).toBe(user.id);
    // The admin edited the user, not themself.
    expect((await stored(adminId)).email).toBe(ADMIN_EMAIL);
  });

  it('an admin changing another user’s email to a taken one gets MailboxOccupied 1012', async () => {
    const owner = await registerUser(server);
    const user = await registerUser(server);
    expectFailure(
      await update({ email: owner.email.toUpperCase() }, bearer(adminToken), user.id),
      'MailboxOccupied',
      1012,
      'MAILBOX_OCCUPIED',
    );
    expect((await stored(user.id)).email).toBe(user.email);
  });

  it('an admin still needs currentPassword to change their own email', async () => {
    expectInvalidInput(
      await update({ email: `root-${unique()}@example.com` }, bearer(adminToken), adminId),
      1001,
      'MISSING_REQUIRED_PARAMS',
      'currentPassword',
    );
    expect((await stored(adminId)).email).toBe(ADMIN_EMAIL);
  });

  it.each([
    ['an unknown uuid', () => randomUUID()],
    ['a malformed id', () => 'no-such-user'],
  ])('an admin with %s as userId gets UserNotExist 1016', async (_name, id) => {
    expectFailure(
      await update({ username: 'Ghost' }, bearer(adminToken), id()),
      'UserNotExist',
      1016,
      'USER_NOT_EXIST',
    );
    expect((await stored(adminId)).username).toBe('Admin');
  });
});

describe('updateProfile without a usable token', () => {
  it('no token is InvalidToken 1010', async () => {
    expectFailure(
      await update({ username: 'Anonymous' }),
      'InvalidToken',
      1010,
      'INVALID_TOKEN_ERROR',
    );
  });

  it('a garbage token is InvalidToken 1010, and nothing changes', async () => {
    const user = await registerUser(server);
    expectFailure(
      await update({ username: 'Anonymous' }, bearer('garbage'), user.id),
      'InvalidToken',
      1010,
      'INVALID_TOKEN_ERROR',
    );
    expect((await me(user)).username).toBe(user.username);
  });
});

describe('updateProfile with a token whose session or user is gone', () => {
  it('the answer is the profile as stored: fields not given as they were, the email to its owner', async () => {
    const user = await registerUser(server, { avatar: 'https://cdn.example.com/kept.png' });
    const before = await me(user);
    const updated = expectUpdated(await update({ introduction: 'New here' }, bearer(user.token)));
    expect(updated).toMatchObject({
      id: user.id,
      username: user.username,
      email: user.email,
      avatar: 'https://cdn.example.com/kept.png',
      introduction: 'New here',
      createdAt: before.createdAt,
    });
    expect(Date.parse(updated.updatedAt)).toBeGreaterThanOrEqual(Date.parse(before.updatedAt));
    expect(await stored(user.id)).toEqual(updated);
  });

  it('after logout the token is InvalidToken 1010, and nothing changes', async () => {
    const user = await registerUser(server, { introduction: 'Before' });
    const { body } = await server.request(LogoutDocument, {}, bearer(user.token));
    expect(body.data!.logout.__typename).toBe('LogoutSuccess');
    expectFailure(
      await update({ introduction: 'After' }, bearer(user.token)),
      'InvalidToken',
      1010,
      'INVALID_TOKEN_ERROR',
    );
    expect((await stored(user.id)).introduction).toBe('Before');
  });

  it('after logout an invalid input still gets the token’s answer first: InvalidToken 1010', async () => {
    const user = await registerUser(server);
    await server.request(LogoutDocument, {}, bearer(user.token));
    expectFailure(
      await update({ introduction: 'x'.repeat(201) }, bearer(user.token)),
      'InvalidToken',
      1010,
      'INVALID_TOKEN_ERROR',
    );
  });

  it('after the account is deleted its token is UserNotExist 1016, and no user comes back', async () => {
    const user = await registerUser(server);
    const { body } = await server.request(
      DeleteAccountDocument,
      { password: user.password },
      bearer(user.token),
    );
    expect(body.extensions).toEqual({ infocode: 1000, info: 'OK' });
    expectFailure(
      await update({ introduction: 'Ghost' }, bearer(user.token)),
      'UserNotExist',
      1016,
      'USER_NOT_EXIST',
    );
    const { body: lookup } = await server.request(UserByIdDocument, { id: user.id });
    expect(lookup.data!.user.__typename).toBe('UserNotExist');
  });
});

describe('User.email is visible only to the user themself and to admins', () => {
  async function emailSeenBy(id: string, headers?: Record<string, string>) {
    const { body } = await server.request(UserByIdDocument, { id }, headers);
    expect(body.errors).toBeUndefined();
    expect(body.extensions).toEqual({ infocode: 1000, info: 'OK' });
    const result = body.data!.user;
    if (result.__typename !== 'User') throw new Error(JSON.stringify(body));
    expect(result.id).toBe(id);
    return result.email;
  }

  let owner: Registered;
  let other: Registered;
  beforeAll(async () => {
    owner = await registerUser(server);
    other = await registerUser(server);
  });

  it('null to an anonymous caller', async () => {
    expect(await emailSeenBy(owner.id)).toBeNull();
  });

  it('null to a caller with an invalid token (treated as anonymous)', async () => {
    expect(await emailSeenBy(owner.id, bearer('garbage'))).toBeNull();
  });

  it('null to another USER', async () => {
    expect(await emailSeenBy(owner.id, bearer(other.token))).toBeNull();
  });

  it('the email to the user themself', async () => {
    expect(await emailSeenBy(owner.id, bearer(owner.token))).toBe(owner.email);
  });

  it('the email to an admin', async () => {
    expect(await emailSeenBy(owner.id, bearer(adminToken))).toBe(owner.email);
  });

  it('also when looked up by account', async () => {
    const seen = async (headers?: Record<string, string>) => {
      const { body } = await server.request(UserByIdDocument, { account: owner.account }, headers);
      const result = body.data!.user;
      if (result.__typename !== 'User') throw new Error(JSON.stringify(body));
      return result.email;
    };
    expect(await seen()).toBeNull();
    expect(await seen(bearer(other.token))).toBeNull();
    expect(await seen(bearer(owner.token))).toBe(owner.email);
    expect(await seen(bearer(adminToken))).toBe(owner.email);
  });
});
