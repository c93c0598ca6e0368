import { RegisterDocument, type RegisterInput } from './generated/graphql';
import { startServer, type TestServer } from './support/server';

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.close());

let sequence = 0;
function validInput(overrides: Partial<RegisterInput> = {}): RegisterInput {
  sequence += 1;
  return {
    username: `Ada ${sequence}`,
    email: `ada${sequence}@example.com`,
    password: 'analytical engine',
    ...overrides,
  };
}

async function register(input: RegisterInput, headers?: Record<string, string>) {
  return server.request(RegisterDocument, { input }, headers);
}

describe('register', () => {
  it('creates an account with a random 10-digit number and signs it in (1000)', async () => {
    const { body } = await register(
      validInput({ avatar: 'https://cdn.example.com/a.png', introduction: 'Hello' }),
    );
    expect(body.extensions).toEqual({ infocode: 1000, info: 'OK' });
    expect(body.errors).toBeUndefined();
    const result = body.data!.register;
    if (result.__typename !== 'AuthPayload') throw new Error(result.__typename);
    expect(result.tokenType).toBe('Bearer');
    expect(result.expiresIn).toBe(15 * 60);
    expect(result.accessToken.split('.')).toHaveLength(3);
    expect(result.user.account).toMatch(/^[1-9][0-9]{9}$/);
    expect(result.user.role).toBe('USER');
    expect(result.user.avatar).toBe('https://cdn.example.com/a.png');
    expect(result.user.introduction).toBe('Hello');
    expect(result.user.email).toMatch(/@example\.com$/); // the new user sees their own email
  });

  it('never hands out sequential account numbers', async () => {
    const accounts: number[] = [];
    for (let i = 0; i < 5; i++) {
      const { body } = await register(validInput());
      const result = body.data!.register;
      if (result.__typename !== 'AuthPayload') throw new Error(result.__typename);
      accounts.push(Number(result.user.account));
    }
    expect(new Set(accounts).size).toBe(5);
    const steps = accounts.slice(1).map((account, i) => Math.abs(account - accounts[i]!));
    expect(steps.every((step) => step > 1000)).toBe(true);
  });

  it('lists every violation at once; infocode and field are those of the first (input-field order)', async () => {
    const { body } = await register({
      username: 'x',
      password: 'short',
      email: 'not-an-email',
      avatar: 'ftp://example.com/a.png',
      introduction: 'あ'.repeat(201),
    });
    const result = body.data!.register;
    if (result.__typename !== 'InvalidInput') throw new Error(result.__typename);
    expect(result.infocode).toBe(1002);
    expect(result.info).toBe('USERNAME_NON_COMPLIANT');
    expect(result.field).toBe('username');
    expect(result.violations.map((v) => [v.field, v.infocode, v.info])).toEqual([
      ['username', 1002, 'USERNAME_NON_COMPLIANT'],
      ['password', 1003, 'PASSWORD_NOT_SPECIFICATION'],
      ['email', 1004, 'EMAIL_NOT_SPECIFICATION'],
      ['avatar', 1005, 'AVATAR_FONT_LENGTH'],
      ['introduction', 1006, 'INTRODUCTION_NOT_SPECIFICATION'],
    ]);
    expect(body.extensions).toEqual({ infocode: 1002, info: 'USERNAME_NON_COMPLIANT' });
  });

  it('stores nothing when the input is rejected', async () => {
    const input = validInput({ avatar: 'javascript:alert(1)' });
    const rejected = await register(input);
    expect(rejected.body.data!.register.__typename).toBe('InvalidInput');
    const accepted = await register({ ...input, avatar: null });
    expect(accepted.body.data!.register.__typename).toBe('AuthPayload');
  });
});
