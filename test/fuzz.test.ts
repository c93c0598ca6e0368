import fc from 'fast-check';
import { print } from 'graphql';
import {
  LoginDocument,
  type LoginMutation,
  MeDocument,
  type MeQuery,
  RegisterDocument,
  type RegisterMutation,
  UpdateProfileDocument,
  type UpdateProfileMutation,
  UserByIdDocument,
  type UserByIdQuery,
} from './generated/graphql';
import { registerUser, type Registered } from './support/accounts';
import { bearer, startServer, type TestServer } from './support/server';

/*
 * Property-based fuzzing of the real server. Every response, whatever was sent, must be an answer
 * of the status table: HTTP < 500, JSON, `extensions.infocode` from the table and never 1023, and
 * nothing of the implementation (stack frames, SQL, driver names) in the body.
 *
 * A failing run prints fast-check's seed and counterexample; FC_SEED=<seed> replays it.
 */

if (process.env.FC_SEED) fc.configureGlobal({ seed: Number(process.env.FC_SEED) });

/** Contract section 1, plus 1024 EMAIL_NOT_VERIFIED which the README's table already serves. */
const STATUS_TABLE = new Set([
  1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008, 1009, 1010, 1011, 1012, 1014, 1016, 1020,
  1021, 1022, 1023, 1024,
]);
const INTERNAL_ERROR = 1023;

const PROPERTY_TIMEOUT = 45_000;

let server: TestServer;
/** The caller of the updateProfile property. */
let carol: Registered;
/** A second user, whose account, email and id the login and lookup fuzzers aim at. */
let dave: Registered;
/** Carol's current email as the server holds it (updateProfile may change it). */
let carolEmail: string;

beforeAll(async () => {
  server = await startServer({ RATE_LIMIT: 'off' });
  carol = await registerUser(server);
  dave = await registerUser(server);
  carolEmail = carol.email;
});
afterAll(() => server.close());

// ---------------------------------------------------------------------------------------------
// Sending and auditing
// ---------------------------------------------------------------------------------------------

interface Envelope {
  data?: unknown;
  errors?: { message?: unknown; extensions?: { infocode?: unknown; info?: unknown } }[];
  extensions?: { infocode?: unknown; info?: unknown };
}

interface Answer<TData = unknown> {
  status: number;
  text: string;
  body: Envelope & { data?: TData | null };
}

/** Stack frames, Apollo's stacktrace extension, source paths: none may leave the server. */
const STACK_TRACE = [
  /\bat\s+[^\s"]+\s+\([^)"]*:\d+:\d+\)/,
  /\bat\s+(?:file:\/\/)?\/[^\s"]*:\d+:\d+/,
  /"stacktrace"/,
  /node_modules/,
  /\/src\/[\w/.-]+\.[jt]s\b/,
];
/** Implementation text that must not appear unless the request itself carried it (echoed input). */
const TOKEN_VALUES = /"(accessToken|refreshToken)":"[^"]*"/g;
const LEAKS = ['SQLITE', 'select ', 'insert ', 'MikroORM', 'knex'];

function describeAnswer(answer: { status: number; text: string }): string {
  return `HTTP ${answer.status}: ${answer.text.slice(0, 600)}`;
}

/** The invariant every response must keep. Throws (failing the property) with the evidence. */
function audit(status: number, text: string, sent: string): Envelope {
  const evidence = describeAnswer({ status, text });
  if (status >= 500) throw new Error(`5xx answer: ${evidence}`);
  let body: Envelope;
  try {
    body = JSON.parse(text) as Envelope;
  } catch {
    throw new Error(`body is not JSON: ${evidence}`);
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new Error(`body is not a JSON object: ${evidence}`);
  }
  const code = body.extensions?.infocode;
  if (typeof code !== 'number' || !STATUS_TABLE.has(code)) {
    throw new Error(`extensions.infocode is not a code of the status table: ${evidence}`);
  }
  if (code === INTERNAL_ERROR) throw new Error(`1023 INTERNAL_ERROR: ${evidence}`);
  if (typeof body.extensions?.info !== 'string') {
    throw new Error(`extensions.info is missing: ${evidence}`);
  }
  for (const error of body.errors ?? []) {
    const entry = error.extensions?.infocode;
    if (typeof entry !== 'number' || !STATUS_TABLE.has(entry)) {
      throw new Error(`an errors[] entry has no infocode of the status table: ${evidence}`);
    }
    if (entry === INTERNAL_ERROR) throw new Error(`errors[] carries 1023: ${evidence}`);
  }
  for (const pattern of STACK_TRACE) {
    if (pattern.test(text) && !pattern.test(sent)) {
      throw new Error(`stack trace or source path (${String(pattern)}) in the body: ${evidence}`);
    }
  }
  // Tokens are random base64url: one may spell "knex" or "sqlite" by chance, and says nothing.
  const lowerText = text.replace(TOKEN_VALUES, '"…"').toLowerCase();
  const lowerSent = sent.toLowerCase();
  for (const leak of LEAKS) {
    const needle = leak.toLowerCase();
    if (lowerText.includes(needle) && !lowerSent.includes(needle)) {
      throw new Error(`implementation text "${leak}" in the body: ${evidence}`);
    }
  }
  return body;
}

async function sendRaw(
  body: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string }> {
  const response = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  return { status: response.status, text: await response.text() };
}

/** POSTs a raw body and audits the answer. */
async function post<TData = unknown>(
  body: string,
  headers: Record<string, string> = {},
): Promise<Answer<TData>> {
  const { status, text } = await sendRaw(body, headers);
  return { status, text, body: audit(status, text, body) as Answer<TData>['body'] };
}

/** Sends an operation with variables exactly as given (nulls, missing keys and all). */
function operation<TData>(
  query: string,
  variables: unknown,
  headers: Record<string, string> = {},
): Promise<Answer<TData>> {
  return post<TData>(JSON.stringify({ query, variables }), headers);
}

const REGISTER = print(RegisterDocument);
const LOGIN = print(LoginDocument);
const UPDATE_PROFILE = print(UpdateProfileDocument);
const ME = print(MeDocument);
const USER_BY_ID = print(UserByIdDocument);

// ---------------------------------------------------------------------------------------------
// Hostile text: what it is, and what "stored normalized" means
// ---------------------------------------------------------------------------------------------

const LONE_SURROGATE = /\p{Cs}/u; // with the u flag only unpaired halves are Cs
const CONTROL_OR_FORMAT = /[\p{Cc}\p{Cf}]/u; // Cf holds the bidi controls and zero-width characters
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_BUT_LINE_BREAK_OR_TAB = /[\0-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]/;
const UNICODE_SPACE_AROUND = /^\p{White_Space}+|\p{White_Space}+$/gu;
const ASCII_SPACE_AROUND = /^[\t\n\f\r ]+|[\t\n\f\r ]+$/g;
const USERNAME_RULE = /^[\p{L}\p{M}\p{N}_.-]+(?: [\p{L}\p{M}\p{N}_.-]+)*$/u;

/**
 * Contract 3 and 7: a username is NFKC-normalized and trimmed; surrounding (Unicode) white space is
 * therefore dropped, but any other control or format character, or a lone surrogate, is 1002.
 */
function hostileUsername(raw: string): boolean {
  return LONE_SURROGATE.test(raw) || CONTROL_OR_FORMAT.test(raw.replace(UNICODE_SPACE_AROUND, ''));
}

/** README: surrounding ASCII whitespace of an email is dropped (as input[type=email] does). */
function hostileEmail(raw: string): boolean {
  return LONE_SURROGATE.test(raw) || CONTROL_OR_FORMAT.test(raw.replace(ASCII_SPACE_AROUND, ''));
}

/** README: line breaks and tabs are allowed in an introduction, other controls not; blank is none. */
function hostileIntroduction(raw: string): boolean {
  if (raw.trim() === '') return false;
  return LONE_SURROGATE.test(raw) || CONTROL_BUT_LINE_BREAK_OR_TAB.test(raw);
}

/** README: an avatar has no whitespace or control characters; blank is none. */
function hostileAvatar(raw: string): boolean {
  const value = raw.trim();
  return value !== '' && /[\p{Cc}\p{Cf}\p{Cs}\p{White_Space}]/u.test(value);
}

const codePoints = (text: string): number => [...text].length;
const graphemes = (text: string): number =>
  [...new Intl.Segmenter('en', { granularity: 'grapheme' }).segment(text)].length;
const show = (value: unknown): string => JSON.stringify(value);

interface StoredUser {
  username: string;
  email?: string | null;
  avatar?: string | null;
  introduction?: string | null;
}

/** What the server stored for a field it accepted must itself obey the rules. */
function expectStoredNormalized(user: StoredUser, given: Record<string, unknown>): void {
  const { username } = user;
  const where = `stored ${show(user)} for input ${show(given)}`;
  if (CONTROL_OR_FORMAT.test(username) || LONE_SURROGATE.test(username)) {
    throw new Error(`stored username has a control/format character or lone surrogate: ${where}`);
  }
  if (username !== username.normalize('NFKC')) throw new Error(`username not NFKC: ${where}`);
  if (username.replace(UNICODE_SPACE_AROUND, '') !== username) {
    throw new Error(`username not trimmed: ${where}`);
  }
  if (codePoints(username) < 2 || codePoints(username) > 32 || !USERNAME_RULE.test(username)) {
    throw new Error(`stored username breaks the username rule: ${where}`);
  }
  if (
    typeof given.username === 'string' &&
    username !==
      given.username.normalize('NFKC').replace(/^\p{White_Space}+|\p{White_Space}+$/gu, '')
  ) {
    throw new Error(`stored username is not the NFKC-normalized, trimmed input: ${where}`);
  }
  if (typeof user.email === 'string') {
    const email = user.email;
    if (CONTROL_OR_FORMAT.test(email) || LONE_SURROGATE.test(email) || /\s/.test(email)) {
      throw new Error(`stored email has whitespace/control/format characters: ${where}`);
    }
    if (email.length > 254 || !email.includes('@')) throw new Error(`stored email: ${where}`);
    if (typeof given.email === 'string' && email !== given.email.replace(ASCII_SPACE_AROUND, '')) {
      throw new Error(`stored email is not the input less surrounding whitespace: ${where}`);
    }
  }
  if (typeof user.avatar === 'string') {
    const avatar = user.avatar;
    if (hostileAvatar(avatar) || avatar !== avatar.trim() || avatar.length > 255) {
      throw new Error(`stored avatar breaks the avatar rule: ${where}`);
    }
    if (!/^https?:$/.test(new URL(avatar).protocol)) throw new Error(`avatar scheme: ${where}`);
  }
  if (typeof user.introduction === 'string') {
    const introduction = user.introduction;
    if (hostileIntroduction(introduction) || graphemes(introduction) > 200) {
      throw new Error(`stored introduction breaks the introduction rule: ${where}`);
    }
    if (introduction.trim() === '') throw new Error(`a blank introduction was stored: ${where}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Arbitraries
// ---------------------------------------------------------------------------------------------

const char = (code: number): string => String.fromCharCode(code);
const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map(char);
const c0Control = fc.integer({ min: 0, max: 0x1f }).map(char);
const c1Control = fc.integer({ min: 0x7f, max: 0x9f }).map(char);
/** Bidi controls, zero-width and other format characters (all Unicode Cf). */
const formatChar = fc.constantFrom(
  '\u202E', // RIGHT-TO-LEFT OVERRIDE
  '\u202D',
  '\u202A',
  '\u202B',
  '\u202C',
  '\u2066', // LEFT-TO-RIGHT ISOLATE
  '\u2067',
  '\u2068',
  '\u2069',
  '\u200E',
  '\u200F',
  '\u061C',
  '\u200B', // ZERO WIDTH SPACE
  '\u200C',
  '\u200D',
  '\u2060',
  '\uFEFF', // ZERO WIDTH NO-BREAK SPACE (BOM)
  '\u00AD',
  '\u180E',
  '\u{E0001}',
);
const hostileChar = fc.oneof(
  fc.constantFrom('\0', '\x1b', '\x7f', '\x85'),
  c0Control,
  c1Control,
  formatChar,
  loneSurrogate,
);

/** Inserts 1-3 hostile characters anywhere in `base` (edges included). */
const withHostile = (base: fc.Arbitrary<string>): fc.Arbitrary<string> =>
  fc
    .tuple(
      base,
      fc.array(fc.tuple(hostileChar, fc.double({ min: 0, max: 1, noNaN: true })), {
        minLength: 1,
        maxLength: 3,
      }),
    )
    .map(([text, insertions]) => {
      let result = text;
      for (const [hostile, where] of insertions) {
        const at = Math.round(where * result.length);
        result = result.slice(0, at) + hostile + result.slice(at);
      }
      return result;
    });

/** Strings of every kind the brief names: binary, grapheme, full unicode, hostile, long. */
const anyString: fc.Arbitrary<string> = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.string({ unit: 'binary-ascii' }),
  fc.string({ unit: 'grapheme' }),
  fc.string({ unit: 'grapheme-composite' }),
  fc.string({
    unit: fc.oneof(hostileChar, fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })),
  }),
  fc.string({ unit: loneSurrogate, minLength: 1, maxLength: 4 }),
  fc.string({ unit: 'binary', minLength: 1000, maxLength: 5000 }),
  fc.string({ unit: 'grapheme-ascii', minLength: 200, maxLength: 5000 }),
  fc.constantFrom('', ' ', '\t', '\0', '\uFEFF', '\u202E', '\u200B', 'null', 'undefined', '[]'),
);

/** A field as a client might send it: absent, null, or any string. */
const anyField = fc.oneof(
  { weight: 1, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 8, arbitrary: anyString },
);

const spaceAround = fc.constantFrom('', '', '', ' ', '  ', '\t', '\n', '\u3000', '\u00A0');
const nameChar = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.constantFrom(
      ...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.'.split(''),
      'é',
      'ß',
      'Ж',
      'λ',
      '汉',
      '字',
      'ع',
      'क',
      '\u094D',
      'e\u0301', // combining acute
      'ﬁ', // NFKC: fi
      'Ａ', // fullwidth A, NFKC: A
      '①', // NFKC: 1
      'Ⅻ', // NFKC: XII
      '㎏', // NFKC: kg
    ),
  },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme-composite', minLength: 1, maxLength: 1 }) },
);
/** Mostly valid usernames (2-20 name characters, maybe one inner space, maybe padded). */
const plausibleUsername = fc
  .tuple(
    spaceAround,
    fc.string({ unit: nameChar, minLength: 1, maxLength: 12 }),
    fc.constantFrom('', ' ', '_', '.'),
    fc.string({ unit: nameChar, minLength: 1, maxLength: 8 }),
    spaceAround,
  )
  .map((parts) => parts.join(''));

const localPart = fc.stringMatching(/^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]{1,24}$/);
/** Valid, practically unique addresses (a random tag in the local part). */
const plausibleEmail = fc
  .tuple(spaceAround, localPart, fc.uuid(), fc.domain(), spaceAround)
  .map(
    ([before, local, tag, domain, after]) =>
      `${before}${local}.${tag.slice(0, 8)}@${domain}${after}`,
  )
  .filter((email) => email.trim().length <= 254);
const plausiblePassword = fc.oneof(
  fc.uuid().map((tag) => `fuzz password ${tag.slice(0, 8)}`),
  fc.string({ unit: 'grapheme', minLength: 8, maxLength: 40 }),
  fc.string({ unit: 'binary', minLength: 8, maxLength: 40 }),
);
const plausibleAvatar = fc.oneof(
  fc.webUrl({ validSchemes: ['http', 'https'] }),
  fc.constantFrom('https://example.com/a.png', 'http://127.0.0.1/x', ''),
);
const plausibleIntroduction = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 200 }),
  fc.string({
    unit: fc.oneof(
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }),
      fc.constantFrom('\n', '\t', '\r\n'),
    ),
    maxLength: 120,
  }),
  fc.constantFrom('👨‍👩‍👧‍👦'.repeat(200), '汉'.repeat(200), '汉'.repeat(201), 'a\u202Eb\u200Bc\u2066d'),
);

type Fields = Record<string, string | null | undefined>;

/**
 * Register inputs in three shapes: one field made hostile while the others are valid (so the
 * hostile character is the only reason to refuse), all fields plausible (so some are accepted and
 * their stored form can be checked), and every field arbitrary.
 */
const registerInput: fc.Arbitrary<Fields> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .record({
        username: plausibleUsername,
        password: plausiblePassword,
        email: plausibleEmail,
        avatar: fc.option(plausibleAvatar, { nil: undefined }),
        introduction: fc.option(plausibleIntroduction, { nil: undefined }),
        hostileField: fc.constantFrom('username', 'email', 'avatar', 'introduction'),
        hostile: withHostile(fc.constant('')),
        at: fc.double({ min: 0, max: 1, noNaN: true }),
      })
      .map(({ hostileField, hostile, at, ...input }) => {
        const fields: Fields = { ...input };
        const base =
          fields[hostileField] ?? (hostileField === 'avatar' ? 'https://x.example/' : 'ab');
        const cut = Math.round(at * base.length);
        fields[hostileField] = base.slice(0, cut) + hostile + base.slice(cut);
        return fields;
      }),
  },
  {
    weight: 3,
    arbitrary: fc.record(
      {
        username: plausibleUsername,
        password: plausiblePassword,
        email: plausibleEmail,
        avatar: fc.option(plausibleAvatar, { nil: undefined }),
        introduction: fc.option(plausibleIntroduction, { nil: undefined }),
      },
      { requiredKeys: ['username', 'password', 'email'] },
    ),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      username: fc.oneof(anyField, plausibleUsername),
      password: fc.oneof(anyField, plausiblePassword),
      email: fc.oneof(anyField, plausibleEmail),
      avatar: anyField,
      introduction: anyField,
    }),
  },
);

/** Valid register fields, for examples that change one of them. */
const exampleInput = (overrides: Fields): Fields => ({
  username: 'Example User',
  email: `example-${Math.random().toString(36).slice(2, 10)}@example.com`,
  password: 'example password 1',
  ...overrides,
});

/**
 * Hand-picked inputs fast-check tries before the random ones: hostile characters at the edges
 * (where trimming could hide them) and inside, and text that must be accepted and normalized.
 */
const REGISTER_EXAMPLES: Fields[] = [
  // accepted, and stored normalized: fullwidth letters, a ligature, padding, line breaks
  exampleInput({ username: '  Ｅｖｅ ﬁne\t', introduction: 'line one\nline two\ttab\r\n' }),
  exampleInput({ username: 'e\u0301ve', avatar: ' https://example.com/a.png ' }),
  // refused: hostile characters inside
  exampleInput({ username: '\u202EEve' }),
  exampleInput({ username: 'Eve\u2066' }),
  exampleInput({ username: 'E\u200Bve' }),
  exampleInput({ username: 'Eve\0' }),
  exampleInput({ username: '\uD800Eve' }),
  exampleInput({ username: 'Eve\uDFFF' }),
  exampleInput({ username: 'E\x1bve' }),
  exampleInput({ email: '\uFEFFeve@example.com' }),
  exampleInput({ email: 'eve@example.com\u200B' }),
  exampleInput({ email: 'eve\0@example.com' }),
  exampleInput({ email: 'eve@exa\u202Emple.com' }),
  exampleInput({ introduction: 'hello\0world' }),
  exampleInput({ introduction: 'hello\uD800' }),
  exampleInput({ avatar: 'https://example.com/\u202Ea.png' }),
  // refused: a zero-width no-break space (U+FEFF, Cf) at either end of a username (contract 7:
  // zero-width characters in a username are 1002). JavaScript's trim() counts U+FEFF as white
  // space, Unicode does not. Last, so the cases above are checked first.
  exampleInput({ username: '\uFEFFEve' }),
  exampleInput({ username: 'Eve\uFEFF' }),
];

const UPDATE_EXAMPLES: Fields[] = [
  { username: '  Ｃarol  ' },
  { username: 'Ca\u202Erol' },
  { email: '\uFEFFcarol@example.com', currentPassword: 'irrelevant' },
  { introduction: 'a\x07b' },
  { username: '\uFEFFCarol' },
  { username: 'Carol\uFEFF' },
];

// ---------------------------------------------------------------------------------------------
// (a) Typed: arbitrary strings for every input field, sent as variables
// ---------------------------------------------------------------------------------------------

describe('typed fuzzing: arbitrary strings in every field of every input', () => {
  it(
    'register: never a 5xx/1023; hostile username/email/avatar/introduction is never an AuthPayload; what is accepted is stored normalized',
    async () => {
      let accepted = 0;
      let hostileRefused = 0;
      await fc.assert(
        fc.asyncProperty(registerInput, async (input) => {
          const { body } = await operation<RegisterMutation>(REGISTER, { input });
          const result = body.data?.register;
          const hostile = [
            typeof input.username === 'string' && hostileUsername(input.username),
            typeof input.email === 'string' && hostileEmail(input.email),
            typeof input.avatar === 'string' && hostileAvatar(input.avatar),
            typeof input.introduction === 'string' && hostileIntroduction(input.introduction),
          ];
          if (result?.__typename !== 'AuthPayload') {
            if (hostile.some(Boolean)) hostileRefused++;
            return;
          }
          if (hostile.some(Boolean)) {
            throw new Error(
              `hostile input accepted (username, email, avatar, introduction: ${show(hostile)}): ` +
                `${show(input)} -> ${show(result.user)}`,
            );
          }
          accepted++;
          expectStoredNormalized(result.user, input);
          // Read it back: what is stored, not only what the mutation echoed.
          const { body: meBody } = await operation<MeQuery>(ME, {}, bearer(result.accessToken));
          const me = meBody.data?.me;
          if (me?.__typename !== 'User' || me.id !== result.user.id) {
            throw new Error(`the new user cannot read themself back: ${show(meBody)}`);
          }
          expect(me.username).toBe(result.user.username);
          expect(me.email).toBe(result.user.email);
          expectStoredNormalized(me, input);
        }),
        { numRuns: 700, examples: REGISTER_EXAMPLES.map((input) => [input]) },
      );
      // The properties above are not vacuous: plenty were accepted, plenty of hostile ones refused.
      expect(accepted).toBeGreaterThan(20);
      expect(hostileRefused).toBeGreaterThan(100);
    },
    PROPERTY_TIMEOUT,
  );

  it(
    'login: never a 5xx/1023, and never an AuthPayload without the exact password',
    async () => {
      const account = fc.oneof(
        anyField,
        fc.constant(dave.account),
        fc.constantFrom(` ${dave.account} `, `${dave.account}\0`, `\u202E${dave.account}`),
        fc.stringMatching(/^[1-9][0-9]{9}$/),
        withHostile(fc.constant(dave.account)),
      );
      const email = fc.oneof(
        anyField,
        fc.constant(dave.email),
        fc.constant(dave.email.toUpperCase()),
        withHostile(fc.constant(dave.email)),
      );
      const password = fc.oneof(
        anyField,
        fc.constant(dave.password),
        withHostile(fc.constant(dave.password)),
        fc.constantFrom(`${dave.password} `, dave.password.toUpperCase(), `${dave.password}\0`),
      );
      await fc.assert(
        fc.asyncProperty(fc.record({ account, email, password }), async (input) => {
          const { body } = await operation<LoginMutation>(LOGIN, { input });
          const result = body.data?.login;
          if (result?.__typename === 'AuthPayload') {
            if (input.password !== dave.password || result.user.id !== dave.id) {
              throw new Error(`login accepted ${show(input)} as ${show(result.user)}`);
            }
          }
        }),
        { numRuns: 400 },
      );
    },
    PROPERTY_TIMEOUT,
  );

  it(
    'updateProfile (with a valid token): never a 5xx/1023; hostile text never stored; an own email change needs the password',
    async () => {
      const updateInput: fc.Arbitrary<Fields> = fc.record({
        username: fc.oneof(anyField, plausibleUsername, withHostile(plausibleUsername)),
        email: fc.oneof(anyField, plausibleEmail, withHostile(plausibleEmail)),
        avatar: fc.oneof(anyField, plausibleAvatar, withHostile(plausibleAvatar)),
        introduction: fc.oneof(anyField, plausibleIntroduction, withHostile(plausibleIntroduction)),
        currentPassword: fc.oneof(anyField, fc.constant(carol.password)),
      });
      const userId = fc.oneof(
        fc.constant(undefined),
        fc.constant(null),
        anyString,
        fc.constant(carol.id),
        fc.constant(carol.id.toUpperCase()),
        fc.constant(dave.id),
        fc.uuid(),
      );
      await fc.assert(
        fc.asyncProperty(updateInput, userId, async (input, targetId) => {
          const before = carolEmail;
          const { body } = await operation<UpdateProfileMutation>(
            UPDATE_PROFILE,
            { input, userId: targetId },
            bearer(carol.token),
          );
          const result = body.data?.updateProfile;
          if (result?.__typename !== 'User') return;
          const context = `${show(input)} (userId ${show(targetId)}) -> ${show(result)}`;
          if (result.id !== carol.id) throw new Error(`changed another user: ${context}`);
          const hostile = [
            typeof input.username === 'string' && hostileUsername(input.username),
            typeof input.email === 'string' && hostileEmail(input.email),
            typeof input.avatar === 'string' && hostileAvatar(input.avatar),
            typeof input.introduction === 'string' && hostileIntroduction(input.introduction),
          ];
          if (hostile.some(Boolean)) throw new Error(`hostile update accepted: ${context}`);
          if (
            result.email?.toLowerCase() !== before.toLowerCase() &&
            input.currentPassword !== carol.password
          ) {
            throw new Error(`own email changed without the current password: ${context}`);
          }
          carolEmail = result.email ?? carolEmail;
          expectStoredNormalized(result, input);
        }),
        {
          numRuns: 500,
          examples: UPDATE_EXAMPLES.map((input): [Fields, undefined] => [input, undefined]),
        },
      );
    },
    PROPERTY_TIMEOUT,
  );

  it(
    'user(id, account): never a 5xx/1023; an anonymous lookup never shows an email',
    async () => {
      const id = fc.oneof(
        anyField,
        fc.constant(dave.id),
        fc.constant(` ${dave.id}`),
        fc.constant(dave.id.toUpperCase()),
        withHostile(fc.constant(dave.id)),
        fc.uuid(),
      );
      const account = fc.oneof(
        anyField,
        fc.constant(dave.account),
        withHostile(fc.constant(dave.account)),
        fc.stringMatching(/^\s?[0-9]{8,11}\s?$/),
      );
      await fc.assert(
        fc.asyncProperty(id, account, async (idValue, accountValue) => {
          const { body } = await operation<UserByIdQuery>(USER_BY_ID, {
            id: idValue,
            account: accountValue,
          });
          const result = body.data?.user;
          if (result?.__typename === 'User' && result.email !== null) {
            throw new Error(`anonymous lookup shows an email: ${show(result)}`);
          }
        }),
        { numRuns: 400 },
      );
    },
    PROPERTY_TIMEOUT,
  );

  it(
    'me with an arbitrary Authorization header: never a 5xx/1023, never a User',
    async () => {
      // Header values are byte strings: Latin-1 without NUL, CR or LF.
      // What fetch lets through in a header value: tab, printable ASCII and 0x80-0xFF.
      const headerChar = fc.oneof(
        fc.constant('\t'),
        fc.integer({ min: 0x20, max: 0x7e }).map(char),
        fc.integer({ min: 0x80, max: 0xff }).map(char),
      );
      const value = fc.oneof(
        fc.string({ unit: headerChar, maxLength: 300 }),
        fc.string({ unit: headerChar, maxLength: 300 }).map((text) => `Bearer ${text}`),
        fc
          .tuple(
            fc.integer({ min: 1, max: 200 }),
            fc.string({ unit: headerChar, minLength: 1, maxLength: 3 }),
          )
          .map(([at, text]) => {
            const token = dave.token;
            // From 1: extra spaces before the token are allowed (RFC 6750: 1*SP). Up to 44 from the
            // end: inside the header or payload, not the signature.
            const cut = Math.min(at, token.length - 44);
            return `Bearer ${token.slice(0, cut)}${text}${token.slice(cut)}`;
          }),
      );
      await fc.assert(
        fc.asyncProperty(value, async (authorization) => {
          const { body } = await operation<MeQuery>(ME, {}, { authorization });
          if (body.data?.me?.__typename === 'User') {
            throw new Error(`me accepted Authorization ${show(authorization)}`);
          }
        }),
        { numRuns: 200 },
      );
    },
    PROPERTY_TIMEOUT,
  );
});

// ---------------------------------------------------------------------------------------------
// (b) Untyped: arbitrary JSON, arbitrary documents, mutated documents
// ---------------------------------------------------------------------------------------------

const DOCUMENTS = [
  REGISTER,
  LOGIN,
  UPDATE_PROFILE,
  ME,
  USER_BY_ID,
  // inline literals, fragments, directives, aliases and introspection, to mutate as well
  'mutation { register(input: { username: "Fuzz Doc", email: "fuzz-doc@example.com", password: "fuzz document 1" }) { __typename ... on AuthPayload { accessToken user { id account } } ... on ErrorResult { infocode info message } } }',
  'query Q($id: ID, $skip: Boolean = false) { user(id: $id) @skip(if: $skip) { __typename ... on User { id username email } ... on InvalidInput { field violations { field infocode } } } infoCodes { infocode info description remedy } }',
  'query { me { __typename ... F } } fragment F on User { id account username role createdAt updatedAt }',
  '{ __schema { queryType { name } types { name kind fields { name } } } }',
  'query { user(account: "1234567890") { __typename } a: user(id: "x") { __typename } }',
];

const REGISTER_VARIABLES = {
  input: { username: 'Mutant', email: 'mutant@example.com', password: 'mutant password 1' },
};
/** Plausible variables for DOCUMENTS[index] (the typed operations come first). */
const variablesFor = (index: number): unknown =>
  [
    REGISTER_VARIABLES,
    { input: { account: dave.account, password: 'wrong password 1' } },
    { input: { introduction: 'mutated' } },
    {},
    { id: null, account: dave.account },
  ][index] ?? {};

const grammarPiece = fc.constantFrom(
  '{',
  '}',
  '(',
  ')',
  '[',
  ']',
  '$',
  '!',
  ':',
  '"',
  '"""',
  '...',
  '@',
  '#',
  '\\',
  '=',
  ',',
  ' ',
  '\n',
  '|',
  '&',
  'query',
  'mutation',
  'subscription',
  'fragment',
  'on',
  '__typename',
  '__schema',
  'register',
  'login',
  'me',
  'user',
  'infoCodes',
  'null',
  'true',
  '1e999',
  '-0',
  '9007199254740993',
  '\\u0000',
  '\\uD800',
  '\\u{110000}',
  '\0',
  '\uD800',
  '\u202E',
  '\uFEFF',
);

type Edit =
  | { kind: 'insert'; at: number; text: string }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'duplicate'; at: number; length: number };

const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.double({ min: 0, max: 1, noNaN: true }),
    text: fc.oneof(
      grammarPiece,
      fc.string({ unit: 'binary', minLength: 1, maxLength: 3 }),
      fc.string({ unit: grammarPiece, minLength: 1, maxLength: 6 }),
    ),
  }),
  fc.record({
    kind: fc.constant('delete' as const),
    at: fc.double({ min: 0, max: 1, noNaN: true }),
    length: fc.integer({ min: 1, max: 12 }),
  }),
  fc.record({
    kind: fc.constant('duplicate' as const),
    at: fc.double({ min: 0, max: 1, noNaN: true }),
    length: fc.integer({ min: 1, max: 40 }),
  }),
);

function applyEdits(document: string, edits: Edit[]): string {
  let text = document;
  for (const change of edits) {
    const at = Math.floor(change.at * text.length);
    if (change.kind === 'insert') text = text.slice(0, at) + change.text + text.slice(at);
    else if (change.kind === 'delete') text = text.slice(0, at) + text.slice(at + change.length);
    else
      text =
        text.slice(0, at + change.length) +
        text.slice(at, at + change.length) +
        text.slice(at + change.length);
  }
  return text;
}

describe('untyped fuzzing: arbitrary JSON, documents and bodies', () => {
  it(
    'arbitrary JSON as `variables` of every operation',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(REGISTER, LOGIN, UPDATE_PROFILE, ME, USER_BY_ID),
          fc.oneof(
            fc.jsonValue(),
            fc.dictionary(fc.constantFrom('input', 'id', 'account', 'userId'), fc.jsonValue()),
            fc.record({
              input: fc.dictionary(
                fc.constantFrom(
                  'username',
                  'password',
                  'email',
                  'avatar',
                  'introduction',
                  'account',
                  'currentPassword',
                  '__proto__',
                  'constructor',
                ),
                fc.jsonValue(),
              ),
            }),
          ),
          fc.boolean(),
          async (query, variables, signedIn) => {
            await operation(query, variables, signedIn ? bearer(carol.token) : {});
          },
        ),
        { numRuns: 500 },
      );
    },
    PROPERTY_TIMEOUT,
  );

  it(
    'arbitrary JSON values and arbitrary text as whole request bodies',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            fc.jsonValue().map((value) => JSON.stringify(value)),
            fc
              .record(
                {
                  query: fc.oneof(fc.jsonValue(), fc.constantFrom(...DOCUMENTS), anyString),
                  variables: fc.jsonValue(),
                  operationName: fc.oneof(
                    fc.jsonValue(),
                    anyString,
                    fc.constantFrom('Register', 'Me', 'Q'),
                  ),
                  // extensions.persistedQuery has its own property below
                  extensions: fc.jsonValue(),
                },
                { requiredKeys: [] },
              )
              .map((value) => JSON.stringify(value)),
            fc.string({ unit: 'binary' }),
            fc.string({ unit: 'binary-ascii' }),
            fc.constantFrom(
              '',
              '{',
              '[',
              '[]',
              '[{}]',
              'null',
              '{"query":',
              '\uFEFF{}',
              '{"query":"{ me { __typename } }"}garbage',
            ),
          ),
          async (body) => {
            await post(body);
          },
        ),
        { numRuns: 500 },
      );
    },
    PROPERTY_TIMEOUT,
  );

  it(
    'arbitrary query strings',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(anyString, fc.string({ unit: grammarPiece, maxLength: 40 })),
          async (query) => {
            await operation(query, {});
          },
        ),
        { numRuns: 500 },
      );
    },
    PROPERTY_TIMEOUT,
  );

  it(
    'valid documents with random characters inserted, deleted or repeated',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.nat({ max: DOCUMENTS.length - 1 }),
          fc.array(edit, { minLength: 1, maxLength: 6 }),
          fc.boolean(),
          async (index, edits, signedIn) => {
            const query = applyEdits(DOCUMENTS[index]!, edits);
            await operation(query, variablesFor(index), signedIn ? bearer(carol.token) : {});
          },
        ),
        { numRuns: 800 },
      );
    },
    PROPERTY_TIMEOUT,
  );

  it(
    'arbitrary automatic-persisted-query extensions (extensions.persistedQuery)',
    async () => {
      const sha256 = fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), maxLength: 64 });
      await fc.assert(
        fc.asyncProperty(
          fc.record(
            {
              query: fc.oneof(fc.constantFrom(...DOCUMENTS), anyString),
              variables: fc.jsonValue(),
              extensions: fc.record({
                persistedQuery: fc.record(
                  {
                    version: fc.oneof(fc.constant(1), fc.jsonValue()),
                    sha256Hash: fc.oneof(sha256, fc.jsonValue()),
                  },
                  { requiredKeys: [] },
                ),
              }),
            },
            { requiredKeys: ['extensions'] },
          ),
          async (request) => {
            await post(JSON.stringify(request));
          },
        ),
        { numRuns: 200 },
      );
    },
    PROPERTY_TIMEOUT,
  );

  // Minimal reproductions of what the APQ property finds: Apollo rejects these with a
  // GraphQLError that has no extensions.code, which src/info/envelope.ts classify() files
  // under INTERNAL_ERROR instead of INVALID_REQUEST. Apollo's own default code for them,
  // INTERNAL_SERVER_ERROR, would mislead an Apollo Client error link: BAD_REQUEST.
  it.each([
    ['an unsupported persisted query version', { extensions: { persistedQuery: { version: 2 } } }],
    [
      'a persisted query that is a string',
      { query: '{ me { __typename } }', extensions: { persistedQuery: 'x' } },
    ],
    // A hash that is no string: Apollo's cache made a string of it and failed, a 500 (the APQ
    // property found {"toString": ""} once).
    [
      'a persisted query hash that is an object',
      { extensions: { persistedQuery: { version: 1, sha256Hash: { toString: '' } } } },
    ],
    [
      'a persisted query hash that is a number',
      { extensions: { persistedQuery: { sha256Hash: 7 } } },
    ],
    [
      'a persisted query hash that does not match the query',
      {
        query: '{ me { __typename } }',
        extensions: { persistedQuery: { version: 1, sha256Hash: '0'.repeat(64) } },
      },
    ],
  ])('%s is 400 INVALID_REQUEST (1021), not 1023', async (_name, request) => {
    const { status, text } = await sendRaw(JSON.stringify(request));
    const body = JSON.parse(text) as Envelope;
    expect({
      status,
      extensions: body.extensions,
      errors: body.errors?.map((e) => e.extensions),
    }).toEqual({
      status: 400,
      extensions: { infocode: 1021, info: 'INVALID_REQUEST' },
      errors: [
        expect.objectContaining({ code: 'BAD_REQUEST', infocode: 1021, info: 'INVALID_REQUEST' }),
      ],
    });
  });
});

describe('a GET whose persisted query hash is no string', () => {
  it('is 400 INVALID_REQUEST (1021), not a 500', async () => {
    const extensions = JSON.stringify({
      persistedQuery: { version: 1, sha256Hash: { toString: '' } },
    });
    const response = await fetch(`${server.url}?extensions=${encodeURIComponent(extensions)}`, {
      headers: { 'apollo-require-preflight': 'true' },
    });
    expect(response.status).toBe(400);
    expect((await response.json()) as Envelope).toMatchObject({
      extensions: { infocode: 1021, info: 'INVALID_REQUEST' },
    });
  });
});

describe('after all of the fuzzing', () => {
  it('GET /health answers 200', async () => {
    const health = await fetch(server.url.replace(/\/graphql$/, '/health'));
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok' });
  });

  it('the server logged no unexpected failure (nothing at level error or above)', () => {
    const failures = server.logs
      .filter((line) => typeof line.level === 'number' && line.level >= 50)
      .map((line) => ({ msg: line.msg, err: (line.err as { message?: unknown })?.message }));
    expect(failures).toEqual([]);
  });
});
