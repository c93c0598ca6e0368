import { randomUUID } from 'node:crypto';
import {
  LoginDocument,
  type LoginInput,
  type LoginMutation,
  MeDocument,
  UserByIdDocument,
  type UserByIdQuery,
  type UserByIdQueryVariables,
} from './generated/graphql';
import { registerUser, type Registered } from './support/accounts';
import { bearer, type GraphQLResponse, startServer, type TestServer } from './support/server';

let server: TestServer;
let alice: Registered;
let bob: Registered;

beforeAll(async () => {
  server = await startServer();
  alice = await registerUser(server, {
    avatar: 'https://cdn.example.com/alice.png',
    introduction: 'Alice here',
  });
  bob = await registerUser(server);
});
afterAll(() => server.close());

type UserBody = GraphQLResponse<UserByIdQuery>['body'];
type LoginBody = GraphQLResponse<LoginMutation>['body'];
type Outcome = { __typename: string; infocode?: number; info?: string; message?: string };

async function lookup(variables: UserByIdQueryVariables): Promise<UserBody> {
  return (await server.request(UserByIdDocument, variables)).body;
}

async function login(input: LoginInput): Promise<LoginBody> {
  return (await server.request(LoginDocument, { input })).body;
}

/** The same code in all three places: the union member, no `errors`, and the envelope. */
function expectFailure(
  body: { errors?: unknown; extensions: { infocode: number; info: string } },
  result: Outcome | undefined,
  typename: string,
  infocode: number,
  info: string,
): void {
  expect(body.errors).toBeUndefined();
  expect(result).toMatchObject({ __typename: typename, infocode, info });
  expect(typeof result?.message).toBe('string');
  expect(result!.message!.trim()).not.toBe('');
  expect(body.extensions).toEqual({ infocode, info });
}

function expectInvalidInput(
  body: { errors?: unknown; extensions: { infocode: number; info: string } },
  result:
    (Outcome & { field?: string; violations?: { field: string; infocode: number }[] }) | undefined,
  infocode: number,
  info: string,
  field: string,
): void {
  expectFailure(body, result, 'InvalidInput', infocode, info);
  expect(result!.field).toBe(field);
  expect(result!.violations![0]).toMatchObject({ field, infocode, info });
}

/** A 10-digit account number that no registered user has. */
function unusedAccount(): string {
  let account = '';
  do account = String(1_000_000_000 + Math.floor(Math.random() * 9_000_000_000));
  while (account === alice.account || account === bob.account);
  return account;
}

function expectFound(body: UserBody, user: Registered) {
  expect(body.errors).toBeUndefined();
  expect(body.extensions).toEqual({ infocode: 1000, info: 'OK' });
  const result = body.data!.user;
  if (result.__typename !== 'User') throw new Error(JSON.stringify(body));
  expect(result.id).toBe(user.id);
  expect(result.account).toBe(user.account);
  expect(result.username).toBe(user.username);
  return result;
}

describe('user(id, account)', () => {
  it('finds a user by id, with the public fields and no email for an anonymous caller', async () => {
    const result = expectFound(await lookup({ id: alice.id }), alice);
    expect(result).toMatchObject({
      avatar: 'https://cdn.example.com/alice.png',
      introduction: 'Alice here',
      role: 'USER',
      email: null,
    });
    expect(Number.isNaN(Date.parse(result.createdAt))).toBe(false);
  });

  it('finds a user by id written in upper case', async () => {
    expectFound(await lookup({ id: alice.id.toUpperCase() }), alice);
  });

  it('finds a user by account', async () => {
    expectFound(await lookup({ account: bob.account }), bob);
    expectFound(await lookup({ account: alice.account }), alice);
  });

  it('id wins when both are given', async () => {
    expectFound(await lookup({ id: alice.id, account: bob.account }), alice);
    expectFound(await lookup({ id: bob.id, account: alice.account }), bob);
  });

  it('id wins even over a malformed account', async () => {
    expectFound(await lookup({ id: alice.id, account: 'not-an-account' }), alice);
  });

  it('id wins even when it is unknown and the account exists: UserNotExist 1016', async () => {
    const body = await lookup({ id: randomUUID(), account: alice.account });
    expectFailure(body, body.data?.user, 'UserNotExist', 1016, 'USER_NOT_EXIST');
  });

  it.each<[string, UserByIdQueryVariables]>([
    ['no arguments', {}],
    ['both null', { id: null, account: null }],
  ])('neither id nor account (%s) is InvalidInput 1001', async (_name, variables) => {
    const body = await lookup(variables);
    expectFailure(body, body.data?.user, 'InvalidInput', 1001, 'MISSING_REQUIRED_PARAMS');
  });

  it.each(['12345', '0123456789', '12345678901', 'abcdefghij', '12345678a9', '+123456789'])(
    'a malformed account (%s) is InvalidInput 1014',
    async (account) => {
      const body = await lookup({ account });
      expectInvalidInput(body, body.data?.user, 1014, 'ACCOUNT_NOT_SPECIFICATION', 'account');
    },
  );

  it('an unknown id is UserNotExist 1016', async () => {
    const body = await lookup({ id: randomUUID() });
    expectFailure(body, body.data?.user, 'UserNotExist', 1016, 'USER_NOT_EXIST');
  });

  it('an id that is not a uuid is UserNotExist 1016', async () => {
    const body = await lookup({ id: 'no-such-user' });
    expectFailure(body, body.data?.user, 'UserNotExist', 1016, 'USER_NOT_EXIST');
  });

  it('an unknown account is UserNotExist 1016', async () => {
    const body = await lookup({ account: unusedAccount() });
    expectFailure(body, body.data?.user, 'UserNotExist', 1016, 'USER_NOT_EXIST');
  });
});

describe('login', () => {
  async function expectSignedIn(body: LoginBody, user: Registered): Promise<void> {
    expect(body.errors).toBeUndefined();
    expect(body.extensions).toEqual({ infocode: 1000, info: 'OK' });
    const result = body.data!.login;
    if (result.__typename !== 'AuthPayload') throw new Error(JSON.stringify(body));
    expect(result.tokenType).toBe('Bearer');
    expect(result.user.id).toBe(user.id);
    expect(result.user.email).toBe(user.email); // the user now signed in sees their own email
    // The token it hands out is the user's.
    const { body: meBody } = await server.request(MeDocument, {}, bearer(result.accessToken));
    const me = meBody.data!.me;
    if (me.__typename !== 'User') throw new Error(JSON.stringify(meBody));
    expect(me.id).toBe(user.id);
  }

  it('by account', async () => {
    await expectSignedIn(await login({ account: alice.account, password: alice.password }), alice);
  });

  it('by email', async () => {
    await expectSignedIn(await login({ email: bob.email, password: bob.password }), bob);
  });

  it('by email written in another case', async () => {
    await expectSignedIn(
      await login({ email: alice.email.toUpperCase(), password: alice.password }),
      alice,
    );
  });

  it('account wins when both are given', async () => {
    await expectSignedIn(
      await login({ account: alice.account, email: bob.email, password: alice.password }),
      alice,
    );
    // Bob's password against Alice's account (named by account) is wrong, though it is right for the email.
    const body = await login({ account: alice.account, email: bob.email, password: bob.password });
    expectFailure(body, body.data?.login, 'WrongPassword', 1008, 'WRONG_PASSWORD');
  });

  it('account wins even over a malformed email', async () => {
    await expectSignedIn(
      await login({ account: bob.account, email: 'not-an-email', password: bob.password }),
      bob,
    );
  });

  it('an empty account beside an email is not given (forms send ""): the email is used', async () => {
    await expectSignedIn(
      await login({ account: '', email: bob.email, password: bob.password }),
      bob,
    );
    const wrong = await login({ account: '', email: bob.email, password: alice.password });
    expectFailure(wrong, wrong.data?.login, 'WrongPassword', 1008, 'WRONG_PASSWORD');
  });

  it.each<[string, LoginInput]>([
    ['email omitted', { account: '', password: 'whatever password' }],
    ['email null', { account: '', email: null, password: 'whatever password' }],
    ['email empty too', { account: '', email: '', password: 'whatever password' }],
  ])(
    'an empty account with no email (%s) is InvalidInput 1001 on account',
    async (_name, input) => {
      const body = await login(input);
      expectInvalidInput(body, body.data?.login, 1001, 'MISSING_REQUIRED_PARAMS', 'account');
    },
  );

  it('a malformed account is InvalidInput 1014', async () => {
    const body = await login({ account: '012345678', password: alice.password });
    expectInvalidInput(body, body.data?.login, 1014, 'ACCOUNT_NOT_SPECIFICATION', 'account');
  });

  it('an unknown account is UserNotExist 1016', async () => {
    const body = await login({ account: unusedAccount(), password: alice.password });
    expectFailure(body, body.data?.login, 'UserNotExist', 1016, 'USER_NOT_EXIST');
  });

  it('an unknown email is UserNotExist 1016', async () => {
    const body = await login({
      email: `nobody-${randomUUID().slice(0, 8)}@example.com`,
      password: alice.password,
    });
    expectFailure(body, body.data?.login, 'UserNotExist', 1016, 'USER_NOT_EXIST');
  });

  it('a wrong password by account is WrongPassword 1008', async () => {
    const body = await login({ account: alice.account, password: `${alice.password}x` });
    expectFailure(body, body.data?.login, 'WrongPassword', 1008, 'WRONG_PASSWORD');
  });

  it('a wrong password by email is WrongPassword 1008', async () => {
    const body = await login({ email: alice.email, password: bob.password });
    expectFailure(body, body.data?.login, 'WrongPassword', 1008, 'WRONG_PASSWORD');
  });

  it('the password is compared exactly (case matters)', async () => {
    const body = await login({ account: alice.account, password: alice.password.toUpperCase() });
    expectFailure(body, body.data?.login, 'WrongPassword', 1008, 'WRONG_PASSWORD');
  });

  it('an empty password is InvalidInput 1001', async () => {
    const body = await login({ account: alice.account, password: '' });
    expectInvalidInput(body, body.data?.login, 1001, 'MISSING_REQUIRED_PARAMS', 'password');
  });

  it('an empty password by email is InvalidInput 1001', async () => {
    const body = await login({ email: alice.email, password: '' });
    expectInvalidInput(body, body.data?.login, 1001, 'MISSING_REQUIRED_PARAMS', 'password');
  });

  it.each<[string, LoginInput]>([
    ['omitted', { password: 'whatever password' }],
    ['both null', { account: null, email: null, password: 'whatever password' }],
  ])('neither account nor email (%s) is InvalidInput 1001', async (_name, input) => {
    const body = await login(input);
    expectFailure(body, body.data?.login, 'InvalidInput', 1001, 'MISSING_REQUIRED_PARAMS');
  });
});
