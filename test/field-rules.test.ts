/**
 * CONTRACT section 3, the field rules, one rule at a time, through real GraphQL requests:
 * register, and login / updateProfile / user where the rule applies there too. Every rejection is
 * checked in the union member (__typename, infocode, info, field, the one violation) and in the
 * response's top-level extensions; where natural, a rejected input is shown to have stored nothing.
 */
import {
  LoginDocument,
  MeDocument,
  RegisterDocument,
  type RegisterInput,
  UpdateProfileDocument,
  type UpdateProfileInput,
  UserByIdDocument,
} from './generated/graphql';
import { registerUser, type Registered } from './support/accounts';
import { bearer, type GraphQLResponse, startServer, type TestServer } from './support/server';

let server: TestServer;
beforeAll(async () => {
  // Many registrations from one address: the registration rate limit is not what is tested here.
  server = await startServer({ RATE_LIMIT: 'off' });
});
afterAll(() => server.close());

const INFO: Record<number, string> = {
  1000: 'OK',
  1001: 'MISSING_REQUIRED_PARAMS',
  1002: 'USERNAME_NON_COMPLIANT',
  1003: 'PASSWORD_NOT_SPECIFICATION',
  1004: 'EMAIL_NOT_SPECIFICATION',
  1005: 'AVATAR_FONT_LENGTH',
  1006: 'INTRODUCTION_NOT_SPECIFICATION',
  1008: 'WRONG_PASSWORD',
  1012: 'MAILBOX_OCCUPIED',
  1014: 'ACCOUNT_NOT_SPECIFICATION',
  1016: 'USER_NOT_EXIST',
};

const CJK = /[\u3400-\u9fff]/;
type Lang = 'en' | 'zh';
const ZH = { 'accept-language': 'zh-CN' };

function expectMessageIn(lang: Lang, message: string | undefined): void {
  expect(typeof message).toBe('string');
  expect(message!.trim()).not.toBe('');
  if (lang === 'zh') {
    expect(message).toMatch(CJK);
  } else {
    expect(message).toMatch(/[A-Za-z]{3,}/);
    expect(message).not.toMatch(CJK);
  }
}

let sequence = 0;
/** A unique tag per call, so tests never collide on an email. */
function tag(): string {
  sequence += 1;
  return `r${sequence}x${Math.random().toString(36).slice(2, 8)}`;
}

function validInput(overrides: Partial<RegisterInput> = {}): RegisterInput {
  const t = tag();
  return {
    username: `Ada ${t}`,
    email: `${t}@example.com`,
    password: 'analytical engine',
    ...overrides,
  };
}

function register(input: RegisterInput, headers?: Record<string, string>) {
  return server.request(RegisterDocument, { input }, headers);
}

type Member<T, N> = Extract<T, { __typename: N }>;

/** The result is the union member named, or the test fails showing what came instead. */
function member<T extends { __typename: string }, N extends T['__typename']>(
  result: T | null | undefined,
  typename: N,
): Member<T, N> {
  expect(result).toMatchObject({ __typename: typename });
  return result as Member<T, N>;
}

/** HTTP 200, nothing in `errors`, and the envelope of E3. */
function expectEnvelope(response: GraphQLResponse<unknown>, infocode: number): void {
  expect(response.status).toBe(200);
  expect(response.body.errors).toBeUndefined();
  expect(response.body.extensions).toEqual({ infocode, info: INFO[infocode] });
}

interface InvalidShape {
  __typename: 'InvalidInput';
  infocode: number;
  info: string;
  message: string;
  field: string;
  violations: { field: string; infocode: number; info: string; message: string }[];
}

/** InvalidInput with exactly one violation, of `field`, with `infocode`; top-level envelope too. */
function expectInvalid<T extends { __typename: string }>(
  response: GraphQLResponse<unknown>,
  result: T | null | undefined,
  infocode: number,
  field: string,
  lang: Lang = 'en',
): void {
  const invalid = member(result, 'InvalidInput') as unknown as InvalidShape;
  expect({ infocode: invalid.infocode, info: invalid.info, field: invalid.field }).toEqual({
    infocode,
    info: INFO[infocode],
    field,
  });
  expect(invalid.violations).toEqual([
    { field, infocode, info: INFO[infocode], message: invalid.message },
  ]);
  expectMessageIn(lang, invalid.message);
  expectEnvelope(response, infocode);
}

/** A simple ErrorResult member (no field), with its envelope. */
function expectFailure<T extends { __typename: string }>(
  response: GraphQLResponse<unknown>,
  result: T | null | undefined,
  typename: string,
  infocode: number,
  lang: Lang = 'en',
): void {
  expect(result).toMatchObject({ __typename: typename, infocode, info: INFO[infocode] });
  expectMessageIn(lang, (result as unknown as { message: string }).message);
  expectEnvelope(response, infocode);
}

/** Registers and returns the new user, failing the test on anything but AuthPayload. */
async function registerOk(input: RegisterInput) {
  const response = await register(input);
  const payload = member(response.body.data?.register, 'AuthPayload');
  expectEnvelope(response, 1000);
  return payload.user;
}

/** What `user(account:)` reads back: the stored form, not an echo of the input. */
async function storedUser(account: string) {
  const response = await server.request(UserByIdDocument, { id: null, account });
  return member(response.body.data?.user, 'User');
}

/** A rejected registration stored nothing: the same email is still free. */
async function expectEmailStillFree(email: string): Promise<void> {
  const user = await registerOk(validInput({ email }));
  expect(user.email?.toLowerCase()).toBe(email.trim().toLowerCase());
}

async function expectRejectedRegistration(
  input: RegisterInput,
  infocode: number,
  field: string,
): Promise<void> {
  const response = await register(input);
  expectInvalid(response, response.body.data?.register, infocode, field);
}

const a32 = 'a'.repeat(32);
const cjkAstral = '\u{20000}'; // 𠀀, a CJK letter outside the BMP: 1 code point, .length 2

describe('username', () => {
  it.each([
    ['fullwidth letters are NFKC-normalized', 'Ａｄａ', 'Ada'],
    ['surrounding spaces are trimmed', '   Ada Lovelace   ', 'Ada Lovelace'],
    ['ideographic spaces normalize to spaces and are trimmed', '\u3000Ada\u3000', 'Ada'],
    ['length counts code points after NFKC (ﬀ is one before, two after)', '\uFB00', 'ff'],
    ['combining marks are composed and allowed', 'Jose\u0301', 'José'],
    ['CJK letters', '李小龙', '李小龙'],
    ['Devanagari letters with marks', 'नमस्ते', 'नमस्ते'],
    ['digits, _ - . and single inner spaces', 'a_b-c.d 9 e', 'a_b-c.d 9 e'],
    ['2 characters', 'ab', 'ab'],
    ['32 characters', a32, a32],
    ['32 astral code points (.length 64)', cjkAstral.repeat(32), cjkAstral.repeat(32)],
    ['32 math letters NFKC-folding to ASCII', '\u{1D49C}'.repeat(32), 'A'.repeat(32)],
    [
      '32 İ, whose lower case (i and a dot above) is 64 code points',
      'İ'.repeat(32),
      'İ'.repeat(32),
    ],
  ])('accepts %s: %j is stored as %j', async (_label, username, stored) => {
    const user = await registerOk(validInput({ username }));
    expect(user.username).toBe(stored);
    expect((await storedUser(user.account)).username).toBe(stored);
  });

  it.each([
    ['1 character', 'a'],
    ['1 character once trimmed', '   a   '],
    ['33 characters', 'a'.repeat(33)],
    ['33 astral code points', cjkAstral.repeat(33)],
    ['17 ﬀ: 17 code points as sent, 34 after NFKC', '\uFB00'.repeat(17)],
    ['a double inner space', 'Ada  Lovelace'],
    ['a tab inside', 'Ada\tLovelace'],
    ['a newline inside', 'Ada\nLovelace'],
    ['a NUL', 'Ada\u0000Lovelace'],
    ['an escape (control) character', 'Ada\u001B[31m'],
    ['a zero-width space U+200B', 'Ada\u200BLovelace'],
    ['a zero-width space at the end', 'Ada\u200B'],
    ['a bidi override U+202E', 'Ada\u202ELovelace'],
    ['a lone surrogate', 'Ada\uD800'],
    ['a lone surrogate alone, twice', '\uD800\uD800'],
    ['punctuation', 'Ada!'],
    ['an @', 'ada@home'],
    ['emoji', '😀😀'],
  ])('rejects %s with 1002 and stores nothing (%j)', async (_label, username) => {
    const input = validInput({ username });
    await expectRejectedRegistration(input, 1002, 'username');
    await expectEmailStillFree(input.email);
  });

  it.each([
    ['empty', ''],
    ['spaces only', '     '],
    ['ideographic spaces only (blank after NFKC)', '\u3000\u3000'],
  ])('a blank username (%s) is 1001 MISSING_REQUIRED_PARAMS', async (_label, username) => {
    const input = validInput({ username });
    await expectRejectedRegistration(input, 1001, 'username');
    await expectEmailStillFree(input.email);
  });
});

/** A valid address of exactly `length` characters. */
function emailOfLength(length: number): string {
  const domain = `${'d'.repeat(60)}.${'e'.repeat(60)}.example.com`;
  const t = tag();
  return `${t}${'a'.repeat(length - t.length - 1 - domain.length)}@${domain}`;
}

describe('email', () => {
  it('the helper builds addresses of the length asked for', () => {
    expect(emailOfLength(254)).toHaveLength(254);
    expect(emailOfLength(255)).toHaveLength(255);
  });

  it.each([
    ['plus, dots and a subdomain', () => `a.b+c.${tag()}@sub.example.co`],
    ['every special character WHATWG allows', () => `!#$%&'*+/=?^_\`{|}~-${tag()}@example.com`],
    ['a dotless domain (valid for WHATWG)', () => `${tag()}@localhost`],
    ['a hyphen inside a label', () => `${tag()}@my-host.example.com`],
    ['254 characters', () => emailOfLength(254)],
  ])('accepts %s', async (_label, make) => {
    const email = make();
    const user = await registerOk(validInput({ email }));
    expect(user.email?.toLowerCase()).toBe(email.toLowerCase());
  });

  it.each([
    ['two @', 'a@b@c'],
    ['a space in the local part', 'a b@c.d'],
    ['a non-ASCII local part', 'ü@example.com'],
    ['an empty local part', '@x.com'],
    ['a label starting with a hyphen', 'a@-x.com'],
    ['a label ending with a hyphen', 'a@x-.com'],
    ['no @', 'plainaddress'],
    ['an empty domain', 'a@'],
    ['an empty label', 'a@x..com'],
    ['a trailing dot', 'a@x.com.'],
    ['a label of 64 characters', `a@${'b'.repeat(64)}.com`],
    ['a zero-width space', 'a\u200B@x.com'],
    ['a NUL', 'a\u0000@x.com'],
    ['a bidi override', 'a\u202E@x.com'],
    ['a lone surrogate', 'a\uD800@x.com'],
    ['255 characters', emailOfLength(255)],
  ])('rejects %s with 1004', async (_label, email) => {
    await expectRejectedRegistration(validInput({ email }), 1004, 'email');
  });

  it('a rejected 255-character email stored nothing: a 254-character one with the same start registers', async () => {
    const long = emailOfLength(255);
    await expectRejectedRegistration(validInput({ email: long }), 1004, 'email');
    const shorter = long.slice(0, long.indexOf('@') - 1) + long.slice(long.indexOf('@'));
    expect(shorter).toHaveLength(254);
    await registerOk(validInput({ email: shorter }));
  });

  it.each([
    ['empty', ''],
    ['spaces only', '   '],
  ])('a blank email (%s) is 1001 MISSING_REQUIRED_PARAMS', async (_label, email) => {
    await expectRejectedRegistration(validInput({ email }), 1001, 'email');
  });

  it('is unique in any case: A@X.com then a@x.com is MailboxOccupied 1012, and nothing is overwritten', async () => {
    const first = validInput({ email: 'A@X.com', password: 'first-pass-Q7x' });
    const owner = await registerOk(first);

    const response = await register(validInput({ email: 'a@x.com', password: 'second-pass-Q7x' }));
    expectFailure(response, response.body.data?.register, 'MailboxOccupied', 1012);

    const again = await register(validInput({ email: 'a@X.COM' }));
    expectFailure(again, again.body.data?.register, 'MailboxOccupied', 1012);

    // The address still belongs to the first user, with the first password.
    const login = await server.request(LoginDocument, {
      input: { email: 'a@x.com', password: 'first-pass-Q7x' },
    });
    expect(member(login.body.data?.login, 'AuthPayload').user.id).toBe(owner.id);
    const loser = await server.request(LoginDocument, {
      input: { email: 'A@X.COM', password: 'second-pass-Q7x' },
    });
    expectFailure(loser, loser.body.data?.login, 'WrongPassword', 1008);
  });

  it('login applies the email rule too: a malformed email is 1004', async () => {
    const response = await server.request(LoginDocument, {
      input: { email: 'a@b@c', password: 'analytical engine' },
    });
    expectInvalid(response, response.body.data?.login, 1004, 'email');
  });
});

const emoji = '😀'; // 1 code point, .length 2

describe('password', () => {
  it.each([
    ['8 emoji (8 code points, .length 16)', emoji.repeat(8)],
    ['128 emoji (128 code points, .length 256)', emoji.repeat(128)],
    ['8 ASCII characters', 'qz7Kx2mW'],
    ['128 ASCII characters', 'p'.repeat(128)],
    ['spaces around other characters', '  pass word  '],
  ])('accepts %s, and it logs in', async (_label, password) => {
    const input = validInput({ password });
    const user = await registerOk(input);
    const login = await server.request(LoginDocument, {
      input: { account: user.account, password },
    });
    expect(member(login.body.data?.login, 'AuthPayload').user.id).toBe(user.id);
  });

  it.each([
    ['7 characters', 'abcdefg'],
    ['7 emoji (.length 14, but 7 code points)', emoji.repeat(7)],
    ['129 ASCII characters', 'p'.repeat(129)],
    ['129 emoji', emoji.repeat(129)],
    ['all spaces', ' '.repeat(10)],
    ['all tabs and newlines', '\t\n\t\n\t\n\t\n'],
    ['all ideographic spaces', '\u3000'.repeat(8)],
    ['all no-break spaces', '\u00A0'.repeat(8)],
    ['all NEL (U+0085, Unicode White_Space)', '\u0085'.repeat(8)],
  ])('rejects %s with 1003 and stores nothing', async (_label, password) => {
    const input = validInput({ password });
    await expectRejectedRegistration(input, 1003, 'password');
    await expectEmailStillFree(input.email);
  });

  it.each([
    ['exactly', (email: string) => email],
    ['in upper case', (email: string) => email.toUpperCase()],
    ['in mixed case', (email: string) => email[0]!.toUpperCase() + email.slice(1)],
  ])('may not equal the email %s (1003)', async (_label, passwordOf) => {
    const input = validInput();
    await expectRejectedRegistration(
      { ...input, password: passwordOf(input.email) },
      1003,
      'password',
    );
    await expectEmailStillFree(input.email);
  });

  it.each([
    ['exactly', 'Grace Hopper', 'Grace Hopper'],
    [
      'as stored (username trimmed and NFKC-normalized)',
      '  Ｇｒａｃｅ Ｈｏｐｐｅｒ ',
      'Grace Hopper',
    ],
  ])('may not equal the username %s (1003)', async (_label, username, password) => {
    const input = validInput({ username });
    await expectRejectedRegistration({ ...input, password }, 1003, 'password');
    await expectEmailStillFree(input.email);
  });

  it('an empty password is 1001 MISSING_REQUIRED_PARAMS', async () => {
    const input = validInput({ password: '' });
    await expectRejectedRegistration(input, 1001, 'password');
    await expectEmailStillFree(input.email);
  });
});

const AVATAR_BASE = 'https://cdn.example.com/';
const avatarOfLength = (length: number) =>
  AVATAR_BASE + 'a'.repeat(length - AVATAR_BASE.length - 4) + '.png';

describe('avatar', () => {
  it.each([
    ['https', 'https://cdn.example.com/a.png'],
    ['http', 'http://example.com/a.png'],
    ['a port, query and fragment', 'https://example.com:8443/a.png?size=64#x'],
    ['upper-case scheme, stored as typed', 'HTTPS://cdn.example.com/A.png'],
    ['255 characters', avatarOfLength(255)],
    // Characters, not UTF-16 units: an emoji is one character, though .length counts it twice.
    ['255 characters, one an emoji (.length 256)', `${avatarOfLength(253)}#😀`],
  ])('accepts an absolute %s URL', async (_label, avatar) => {
    expect([...avatar].length).toBeLessThanOrEqual(255);
    const user = await registerOk(validInput({ avatar }));
    expect(user.avatar).toBe(avatar);
    expect((await storedUser(user.account)).avatar).toBe(avatar);
  });

  it.each([
    ['ftp:', 'ftp://example.com/a.png'],
    ['javascript:', 'javascript:alert(1)'],
    ['data:', 'data:image/png;base64,iVBORw0KGgo='],
    ['file:', 'file:///etc/passwd'],
    ['a relative path', '/a.png'],
    ['a bare file name', 'a.png'],
    ['a protocol-relative URL', '//example.com/a.png'],
    ['http:// with no host', 'http://'],
    ['https:// with no host', 'https://'],
    // WHATWG parsers accept these, but read them against a base URL differently from other
    // clients (a browser on https://app.example/page/ may not fetch what the server checked).
    ['a scheme without //', 'https:example.com/a.png'],
    ['a scheme with one /', 'http:/x.org/a'],
    ['backslashes for slashes', 'https:\\\\evil.com\\a'],
    ['a backslash in the path', 'https://cdn.example.com/a\\b.png'],
    ['a space inside', 'https://example.com/a b.png'],
    ['256 characters', avatarOfLength(256)],
    ['256 characters, one an emoji', `${avatarOfLength(254)}#😀`],
  ])('rejects %s with 1005 and stores nothing', async (_label, avatar) => {
    const input = validInput({ avatar });
    await expectRejectedRegistration(input, 1005, 'avatar');
    await expectEmailStillFree(input.email);
  });

  it.each([
    ['empty', ''],
    ['spaces', '   '],
    ['null', null],
  ])('a blank avatar (%s) means none: stored as null', async (_label, avatar) => {
    const user = await registerOk(validInput({ avatar }));
    expect(user.avatar).toBeNull();
    expect((await storedUser(user.account)).avatar).toBeNull();
  });
});

const family = '👨‍👩‍👧‍👦'; // 7 code points, one grapheme cluster

describe('introduction', () => {
  it.each([
    ['200 family emoji (1400 code points)', family.repeat(200)],
    ['200 汉', '汉'.repeat(200)],
    ['200 e + combining acute (400 code points)', 'e\u0301'.repeat(200)],
    ['200 flags', '🇨🇳'.repeat(200)],
    ['line breaks and tabs', 'line one\nline\ttwo'],
  ])('accepts %s', async (_label, introduction) => {
    const user = await registerOk(validInput({ introduction }));
    expect(user.introduction).toBe(introduction);
    expect((await storedUser(user.account)).introduction).toBe(introduction);
  });

  it.each([
    ['201 family emoji', family.repeat(201)],
    ['201 汉', '汉'.repeat(201)],
    ['201 ASCII letters', 'a'.repeat(201)],
    ['a NUL', 'hello\u0000world'],
    ['a bell (U+0007)', 'hello\u0007'],
    ['an escape sequence', '\u001B[31mred'],
    ['a DEL (U+007F)', 'hello\u007F'],
    ['a C1 control (U+009B)', 'hello\u009B'],
  ])('rejects %s with 1006 and stores nothing', async (_label, introduction) => {
    const input = validInput({ introduction });
    await expectRejectedRegistration(input, 1006, 'introduction');
    await expectEmailStillFree(input.email);
  });

  it.each([
    ['empty', ''],
    ['whitespace', ' \n '],
  ])('a blank introduction (%s) means none: stored as null', async (_label, introduction) => {
    const user = await registerOk(validInput({ introduction }));
    expect(user.introduction).toBeNull();
  });
});

describe('account (login and user lookup)', () => {
  let someone: Registered;
  beforeAll(async () => {
    someone = await registerUser(server);
  });

  it.each([
    ['9 digits', '012345678'],
    ['a leading 0', '0123456789'],
    ['11 digits', '12345678901'],
    ['letters', 'abcdefghij'],
    ['fullwidth digits', '１２３４５６７８９０'],
    ['Arabic-Indic digits', '١٢٣٤٥٦٧٨٩٠'],
    ['an inner space', '12345 67890'],
    ['a sign', '+123456789'],
  ])('login by %s (%j) is InvalidInput 1014', async (_label, account) => {
    const response = await server.request(LoginDocument, {
      input: { account, password: someone.password },
    });
    expectInvalid(response, response.body.data?.login, 1014, 'account');
  });

  it.each([
    ['the account in ASCII spaces', (a: string) => ` ${a} `],
    ['the account and a line feed', (a: string) => `${a}\n`],
    ['the account in U+3000 and a line feed', (a: string) => `\u3000${a}\n`],
    ['the account after a no-break space', (a: string) => `\u00A0${a}`],
    ['the account after U+FEFF', (a: string) => `\uFEFF${a}`],
    ['only spaces', () => '   '],
    ['only U+3000', () => '\u3000'],
  ])('nothing is trimmed: %s is 1014 at login and in user(account:)', async (_label, form) => {
    const account = form(someone.account);
    const login = await server.request(LoginDocument, {
      input: { account, password: someone.password },
    });
    expectInvalid(login, login.body.data?.login, 1014, 'account');
    const lookup = await server.request(UserByIdDocument, { id: null, account });
    expectInvalid(lookup, lookup.body.data?.user, 1014, 'account');
  });

  it('an empty account is 1001 (missing) at login and in user(account:)', async () => {
    const login = await server.request(LoginDocument, {
      input: { account: '', password: someone.password },
    });
    expectInvalid(login, login.body.data?.login, 1001, 'account');
    const lookup = await server.request(UserByIdDocument, { id: null, account: '' });
    expectInvalid(lookup, lookup.body.data?.user, 1001, 'account');
  });

  it('user(account:) applies the same rule (1014)', async () => {
    const response = await server.request(UserByIdDocument, { id: null, account: '0123456789' });
    expectInvalid(response, response.body.data?.user, 1014, 'account');
  });

  it('a well-formed account number passes the rule: the real one logs in, an unused one is 1016', async () => {
    expect(someone.account).toMatch(/^[1-9][0-9]{9}$/);
    const ok = await server.request(LoginDocument, {
      input: { account: someone.account, password: someone.password },
    });
    expect(member(ok.body.data?.login, 'AuthPayload').user.id).toBe(someone.id);
    expectEnvelope(ok, 1000);

    const unused = someone.account === '9999999999' ? '9999999998' : '9999999999';
    const missing = await server.request(LoginDocument, {
      input: { account: unused, password: someone.password },
    });
    expectFailure(missing, missing.body.data?.login, 'UserNotExist', 1016);
  });
});

describe('updateProfile applies the same rules', () => {
  async function update(user: Registered, input: UpdateProfileInput) {
    return server.request(UpdateProfileDocument, { input, userId: null }, bearer(user.token));
  }
  async function me(user: Registered) {
    const response = await server.request(MeDocument, {}, bearer(user.token));
    return member(response.body.data?.me, 'User');
  }

  it('normalizes and trims the username (Ａｄａ is stored as Ada)', async () => {
    const user = await registerUser(server);
    const response = await update(user, { username: '  Ａｄａ  ' });
    expect(member(response.body.data?.updateProfile, 'User').username).toBe('Ada');
    expectEnvelope(response, 1000);
    expect((await me(user)).username).toBe('Ada');
  });

  it('stores a 32-character username whose lower case is longer (İ)', async () => {
    const user = await registerUser(server);
    const response = await update(user, { username: 'İ'.repeat(32) });
    expect(member(response.body.data?.updateProfile, 'User').username).toBe('İ'.repeat(32));
    expect((await me(user)).username).toBe('İ'.repeat(32));
  });

  it.each([
    ['a double inner space', { username: 'Ada  Lovelace' }, 1002, 'username'],
    ['a zero-width space in the username', { username: 'Ada\u200B' }, 1002, 'username'],
    ['a 1-character username', { username: 'a' }, 1002, 'username'],
    ['a blank username', { username: '   ' }, 1001, 'username'],
    ['a malformed email', { email: 'a@-x.com', currentPassword: 'x' }, 1004, 'email'],
    ['an ftp avatar', { avatar: 'ftp://example.com/a.png' }, 1005, 'avatar'],
    ['an avatar without //', { avatar: 'https:example.com/a.png' }, 1005, 'avatar'],
    ['a 256-character avatar', { avatar: avatarOfLength(256) }, 1005, 'avatar'],
    ['a 201-grapheme introduction', { introduction: family.repeat(201) }, 1006, 'introduction'],
    ['an introduction with a NUL', { introduction: 'hi\u0000' }, 1006, 'introduction'],
  ] as [string, UpdateProfileInput, number, string][])(
    'rejects %s and changes nothing',
    async (_label, input, infocode, field) => {
      const user = await registerUser(server);
      const before = await me(user);
      const response = await update(user, input);
      expectInvalid(response, response.body.data?.updateProfile, infocode, field);
      const after = await me(user);
      expect(after).toEqual(before);
    },
  );

  it('accepts 200 family emoji as an introduction, and a blank avatar clears it to null', async () => {
    const user = await registerUser(server, { avatar: 'https://cdn.example.com/a.png' });
    const response = await update(user, { introduction: family.repeat(200), avatar: '' });
    const updated = member(response.body.data?.updateProfile, 'User');
    expect(updated.introduction).toBe(family.repeat(200));
    expect(updated.avatar).toBeNull();
    expect((await me(user)).avatar).toBeNull();
  });

  it('an email taken in another case is MailboxOccupied 1012, and the email is unchanged', async () => {
    const t = tag();
    await registerUser(server, { email: `Taken.${t}@Example.com` });
    const user = await registerUser(server);
    const response = await update(user, {
      email: `taken.${t}@EXAMPLE.COM`,
      currentPassword: user.password,
    });
    expectFailure(response, response.body.data?.updateProfile, 'MailboxOccupied', 1012);
    expect((await me(user)).email).toBe(user.email);
  });
});

describe('a required field left out', () => {
  it.each(['username', 'password', 'email'] as const)(
    'register without %s is 1001 MISSING_REQUIRED_PARAMS and stores nothing',
    async (field) => {
      const input = validInput();
      const partial: Partial<RegisterInput> = { ...input };
      delete partial[field];
      // Sent as the client would send it: the typed document cannot express the omission.
      const response = await server.request(RegisterDocument, {
        input: partial as RegisterInput,
      });
      expect(response.body.data?.register).toBeUndefined();
      expect(response.body.errors).toHaveLength(1);
      expect(response.body.errors![0]!.extensions).toMatchObject({
        infocode: 1001,
        info: 'MISSING_REQUIRED_PARAMS',
      });
      expect(response.body.errors![0]!.message).toContain(field);
      expect(response.body.extensions).toEqual({ infocode: 1001, info: 'MISSING_REQUIRED_PARAMS' });
      if (field !== 'email') await expectEmailStillFree(input.email);
    },
  );
});

describe('messages follow Accept-Language', () => {
  it('a blank username: English by default, Chinese with zh-CN, same codes', async () => {
    const en = await register(validInput({ username: ' ' }));
    expectInvalid(en, en.body.data?.register, 1001, 'username', 'en');
    const zh = await register(validInput({ username: ' ' }), ZH);
    expectInvalid(zh, zh.body.data?.register, 1001, 'username', 'zh');
  });

  it.each([
    ['username', { username: 'Ada  Lovelace' }, 1002],
    ['password', { password: 'short' }, 1003],
    ['email', { email: 'a@b@c' }, 1004],
    ['avatar', { avatar: 'javascript:alert(1)' }, 1005],
    ['introduction', { introduction: '汉'.repeat(201) }, 1006],
  ] as [string, Partial<RegisterInput>, number][])(
    'the %s rule speaks Chinese with zh-CN',
    async (field, overrides, infocode) => {
      const response = await register(validInput(overrides), ZH);
      expectInvalid(response, response.body.data?.register, infocode, field, 'zh');
    },
  );

  it('MailboxOccupied and the account rule speak Chinese with zh-CN', async () => {
    const input = validInput();
    await registerOk(input);
    const taken = await register(validInput({ email: input.email.toUpperCase() }), ZH);
    expectFailure(taken, taken.body.data?.register, 'MailboxOccupied', 1012, 'zh');

    const login = await server.request(
      LoginDocument,
      { input: { account: '0123456789', password: input.password } },
      ZH,
    );
    expectInvalid(login, login.body.data?.login, 1014, 'account', 'zh');
  });
});
