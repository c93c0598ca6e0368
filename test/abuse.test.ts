import { getIntrospectionQuery } from 'graphql';
import {
  DeleteAccountDocument,
  LoginDocument,
  MeDocument,
  RegisterDocument,
  SessionsDocument,
  UpdateProfileDocument,
} from './generated/graphql';
import { registerUser } from './support/accounts';
import { bearer, startServer, type TestServer } from './support/server';

const from = (address: string) => ({ 'x-forwarded-for': address });

/** Sends `count` requests at once; how many of their answers were of each result type. */
async function allAtOnce(
  count: number,
  send: (i: number) => Promise<string>,
): Promise<Record<string, number>> {
  const outcomes = await Promise.all(Array.from({ length: count }, (_, i) => send(i)));
  const counted: Record<string, number> = {};
  for (const outcome of outcomes) counted[outcome] = (counted[outcome] ?? 0) + 1;
  return counted;
}

describe('query limits (1022), checked before anything runs', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ RATE_LIMIT: '', RATE_LIMIT_LOGIN_ACCOUNT: '1/15m' });
  });
  afterAll(() => server.close());

  const post = (query: string) => server.post(JSON.stringify({ query }));

  it('refuses 100 aliased logins before any password is checked', async () => {
    const victim = await registerUser(server);
    const guesses = Array.from(
      { length: 100 },
      (_, i) =>
        `g${i}: login(input: { account: "${victim.account}", password: "guess number ${i}" }) { __typename }`,
    ).join('\n');
    const { status, body } = await post(`mutation { ${guesses} }`);
    expect(status).toBe(400);
    expect(body.data).toBeUndefined();
    expect(body.errors![0]!.extensions).toMatchObject({
      infocode: 1022,
      info: 'QUERY_TOO_COMPLEX',
    });
    expect(body.extensions).toEqual({ infocode: 1022, info: 'QUERY_TOO_COMPLEX' });
    // The account allows one wrong password per window: had any guess been checked, it would be locked.
    const { body: login } = await server.request(LoginDocument, {
      input: { account: victim.account, password: victim.password },
    });
    expect(login.data!.login.__typename).toBe('AuthPayload');
  });

  it('counts credential fields hidden in fragments, and across login and register', async () => {
    const viaFragment = await post(`
      mutation { ...Guess  other: login(input: { email: "a@example.com", password: "second guess" }) { __typename } }
      fragment Guess on Mutation { login(input: { email: "a@example.com", password: "first guess!" }) { __typename } }`);
    expect(viaFragment.body.extensions).toEqual({ infocode: 1022, info: 'QUERY_TOO_COMPLEX' });
    const mixed = await post(`mutation {
      register(input: { username: "Two", email: "two@example.com", password: "two fields here" }) { __typename }
      login(input: { email: "two@example.com", password: "two fields here" }) { __typename } }`);
    expect(mixed.body.extensions).toEqual({ infocode: 1022, info: 'QUERY_TOO_COMPLEX' });
  });

  it('refuses two refresh tokens in one operation before either is looked at', async () => {
    const user = await registerUser(server);
    const field = (alias: string) =>
      `${alias}: refreshToken(refreshToken: "${user.refreshToken}") { __typename }`;
    const { status, body } = await post(`mutation { ${field('a')} ${field('b')} }`);
    expect(status).toBe(400);
    expect(body.extensions).toEqual({ infocode: 1022, info: 'QUERY_TOO_COMPLEX' });
    // Not looked at: the token is still current, so one refresh of it rotates as usual.
    const once = await post(`mutation { ${field('a')} }`);
    expect(once.body.data).toEqual({ a: { __typename: 'AuthPayload' } });
  });

  it('bounds aliases: 30 pass, 31 are refused', async () => {
    const aliases = (n: number) =>
      Array.from({ length: n }, (_, i) => `a${i}: infoCodes { infocode }`).join(' ');
    expect((await post(`{ ${aliases(30)} }`)).body.extensions).toEqual({
      infocode: 1000,
      info: 'OK',
    });
    expect((await post(`{ ${aliases(31)} }`)).body.extensions).toEqual({
      infocode: 1022,
      info: 'QUERY_TOO_COMPLEX',
    });
  });

  it('says the alias limit in the client’s language, all of it in Chinese for zh', async () => {
    const document = JSON.stringify({
      query: `{ ${Array.from({ length: 40 }, (_, i) => `a${i}: __typename`).join(' ')} }`,
    });
    const messages: Record<string, string> = {};
    for (const language of ['en', 'zh-CN']) {
      const { status, body } = await server.post(document, { 'accept-language': language });
      expect(status).toBe(400);
      expect(body.errors).toHaveLength(1);
      expect(body.errors![0]!.extensions).toMatchObject({
        infocode: 1022,
        info: 'QUERY_TOO_COMPLEX',
      });
      messages[language] = body.errors![0]!.message;
    }
    expect(messages).toEqual({
      en: 'The operation uses 40 aliases; at most 30 are allowed.',
      'zh-CN': '操作超出限制：该操作使用了 40 个别名；最多允许 30 个。',
    });
  });

  it('says the depth and credential-field limits in Chinese too', async () => {
    let selection = 'name';
    for (let i = 0; i < 6; i++) selection = `fields { type { ofType { ${selection} } } }`;
    const deep = await server.post(
      JSON.stringify({ query: `{ __type(name: "User") { ${selection} } }` }),
      { 'accept-language': 'zh' },
    );
    expect(deep.body.errors![0]!.message).toBe(
      '操作超出限制：该操作嵌套了 14 层；最多允许 12 层。',
    );
    const twice = await server.post(
      JSON.stringify({
        query:
          'mutation { a: logout { __typename } b: deleteAccount(password: "x") { __typename } c: deleteAccount(password: "y") { __typename } }',
      }),
      { 'accept-language': 'zh' },
    );
    expect(twice.body.errors![0]!.message).toMatch(
      /^操作超出限制：一个操作最多只能包含 1 个以下字段：login, [a-zA-Z, ]+；此操作包含 2 个。$/,
    );
  });

  it('bounds depth', async () => {
    let selection = 'name';
    // `ofType` adds no level, but every other field does: 1 + 6 × 2 + 1 levels.
    for (let i = 0; i < 6; i++) selection = `fields { type { ofType { ${selection} } } }`;
    const { status, body } = await post(`{ __type(name: "User") { ${selection} } }`);
    expect(status).toBe(400);
    expect(body.errors![0]!.message).toBe(
      'The operation is 14 levels deep; at most 12 are allowed.',
    );
    expect(body.errors![0]!.extensions).toMatchObject({
      infocode: 1022,
      info: 'QUERY_TOO_COMPLEX',
    });
    expect(body.extensions).toEqual({ infocode: 1022, info: 'QUERY_TOO_COMPLEX' });
  });

  it('bounds introspection fan-out: fields nested three deep is 1022 (graphql-js’s own limit)', async () => {
    const { status, body } = await post(
      '{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }',
    );
    expect(status).toBe(400);
    expect(body.errors!.map((error) => error.message)).toEqual([
      'Maximum introspection depth exceeded',
    ]);
    expect(body.errors![0]!.extensions).toMatchObject({
      infocode: 1022,
      info: 'QUERY_TOO_COMPLEX',
    });
    expect(body.extensions).toEqual({ infocode: 1022, info: 'QUERY_TOO_COMPLEX' });
  });

  interface IntrospectionType {
    name: string;
    fields: { name: string; type: unknown }[] | null;
  }

  it('answers the standard introspection query that tools send, with every option on', async () => {
    // Sandbox, Postman, Insomnia, rover and codegen send this: its TypeRef fragment unrolls
    // `ofType` nine times, 15 levels in all, and each `ofType` adds no depth.
    const everyOption = {
      descriptions: true,
      specifiedByUrl: true,
      directiveIsRepeatable: true,
      schemaDescription: true,
      inputValueDeprecation: true,
      experimentalDirectiveDeprecation: true,
      oneOf: true,
    };
    for (const query of [getIntrospectionQuery(), getIntrospectionQuery(everyOption)]) {
      const { status, body } = await server.post(
        JSON.stringify({ query, operationName: 'IntrospectionQuery' }),
      );
      expect(body.errors).toBeUndefined();
      expect(status).toBe(200);
      expect(body.extensions).toEqual({ infocode: 1000, info: 'OK' });
      const { types } = (body.data as { __schema: { types: IntrospectionType[] } }).__schema;
      const invalidInput = types.find((type) => type.name === 'InvalidInput')!;
      const violations = invalidInput.fields!.find((field) => field.name === 'violations')!;
      expect(violations.type).toMatchObject({
        kind: 'NON_NULL',
        ofType: { kind: 'LIST', ofType: { kind: 'NON_NULL', ofType: { name: 'FieldViolation' } } },
      });
    }
  });

  it('a document too costly to validate is 1022 with a message of ours, in Chinese too', async () => {
    // Well under the token limit, but graphql-js's check that same-named fields merge compares
    // them pairwise and gives up when its budget runs out, saying only "Validation aborted.".
    const document = JSON.stringify({ query: `{ me { ${'__typename '.repeat(1000)}} }` });
    const messages: string[] = [];
    for (const language of ['en', 'zh']) {
      const { status, body } = await server.post(document, { 'accept-language': language });
      expect(status).toBe(400);
      expect(body.data).toBeUndefined();
      expect(body.errors).toHaveLength(1);
      expect(body.errors![0]!.extensions).toMatchObject({
        code: 'GRAPHQL_VALIDATION_FAILED',
        infocode: 1022,
        info: 'QUERY_TOO_COMPLEX',
      });
      expect(body.extensions).toEqual({ infocode: 1022, info: 'QUERY_TOO_COMPLEX' });
      messages.push(body.errors![0]!.message);
    }
    const [english, chinese] = messages;
    expect(english).toBe(
      'The operation is too costly to validate: it repeats too many fields or fragment ' +
        'spreads. Select each field once and use fewer fragments.',
    );
    expect(chinese).toMatch(/^操作超出限制：/);
    expect(chinese).not.toMatch(/[A-Za-z]{2}/); // all of it in Chinese
  });

  it('bounds the document’s size in tokens', async () => {
    const { status, body } = await post(`{ infoCodes { ${'infocode '.repeat(4000)} } }`);
    expect(status).toBe(400);
    expect(body.extensions).toEqual({ infocode: 1022, info: 'QUERY_TOO_COMPLEX' });
  });

  it('a syntax error quoting the token limit’s words is still a syntax error: 1021', async () => {
    const { status, body } = await post('{ "Document contains more than 3 tokens" }');
    expect(status).toBe(400);
    expect(body.errors![0]!.message).toContain('Syntax Error');
    expect(body.extensions).toEqual({ infocode: 1021, info: 'INVALID_REQUEST' });
  });
});

describe('rate limits (1020)', () => {
  it('wrong passwords per account, from any address: then even the right one waits; sessions keep working', async () => {
    const server = await startServer({
      RATE_LIMIT: '',
      RATE_LIMIT_LOGIN_ACCOUNT: '3/15m',
      TRUST_PROXY: '1',
    });
    try {
      const victim = await registerUser(server);
      for (let i = 0; i < 3; i++) {
        const { body } = await server.request(
          LoginDocument,
          { input: { account: victim.account, password: `wrong guess ${i}` } },
          from(`198.51.100.${i + 1}`),
        );
        expect(body.data!.login.__typename).toBe('WrongPassword');
      }
      const { body } = await server.request(
        LoginDocument,
        { input: { email: victim.email, password: victim.password } },
        from('198.51.100.99'),
      );
      const result = body.data!.login;
      if (result.__typename !== 'TooManyRequests') throw new Error(result.__typename);
      expect(result).toMatchObject({ infocode: 1020, info: 'TOO_MANY_REQUESTS' });
      expect(result.retryAfter).toBeGreaterThan(0);
      expect(result.retryAfter).toBeLessThanOrEqual(15 * 60);
      expect(result.message).toContain(String(result.retryAfter));
      expect(body.extensions).toEqual({ infocode: 1020, info: 'TOO_MANY_REQUESTS' });
      const me = await server.request(MeDocument, {}, bearer(victim.token));
      expect(me.body.data!.me.__typename).toBe('User');
    } finally {
      await server.close();
    }
  });

  it('a successful login resets the wrong-password count', async () => {
    const server = await startServer({ RATE_LIMIT: '', RATE_LIMIT_LOGIN_ACCOUNT: '3/15m' });
    try {
      const user = await registerUser(server);
      const attempt = async (password: string) =>
        (await server.request(LoginDocument, { input: { account: user.account, password } })).body
          .data!.login.__typename;
      expect(await attempt('wrong one 1')).toBe('WrongPassword');
      expect(await attempt('wrong one 2')).toBe('WrongPassword');
      expect(await attempt(user.password)).toBe('AuthPayload');
      expect(await attempt('wrong one 3')).toBe('WrongPassword');
      expect(await attempt('wrong one 4')).toBe('WrongPassword');
      expect(await attempt(user.password)).toBe('AuthPayload');
    } finally {
      await server.close();
    }
  });

  it('wrong passwords sent all at once cannot outnumber the limit', async () => {
    const server = await startServer({
      RATE_LIMIT: '',
      RATE_LIMIT_LOGIN_ACCOUNT: '3/15m',
      TRUST_PROXY: '1',
    });
    try {
      const victim = await registerUser(server);
      // Nine guesses in flight together, each from an address of its own: were the count read
      // before the hashes and written after, all nine would be checked.
      const outcomes = await allAtOnce(9, async (i) => {
        const { body } = await server.request(
          LoginDocument,
          { input: { account: victim.account, password: `guess number ${i}` } },
          from(`198.51.100.${i + 1}`),
        );
        return body.data!.login.__typename;
      });
      expect(outcomes).toEqual({ WrongPassword: 3, TooManyRequests: 6 });
      const { body } = await server.request(LoginDocument, {
        input: { account: victim.account, password: victim.password },
      });
      expect(body.data!.login.__typename).toBe('TooManyRequests');
    } finally {
      await server.close();
    }
  });

  it('right passwords are not counted as wrong ones', async () => {
    const server = await startServer({ RATE_LIMIT: '', RATE_LIMIT_LOGIN_ACCOUNT: '2/15m' });
    try {
      const user = await registerUser(server);
      const attempt = async (password: string) =>
        (await server.request(LoginDocument, { input: { email: user.email, password } })).body.data!
          .login.__typename;
      for (let i = 0; i < 4; i++) expect(await attempt(user.password)).toBe('AuthPayload');
      expect(await attempt('wrong one 1')).toBe('WrongPassword');
      expect(await attempt('wrong one 2')).toBe('WrongPassword');
      expect(await attempt('wrong one 3')).toBe('TooManyRequests');
    } finally {
      await server.close();
    }
  });

  it('login attempts per address; X-Forwarded-For counts only with TRUST_PROXY', async () => {
    const trusting = await startServer({
      RATE_LIMIT: '',
      RATE_LIMIT_LOGIN_ADDRESS: '2/15m',
      TRUST_PROXY: '1',
    });
    const direct = await startServer({ RATE_LIMIT: '', RATE_LIMIT_LOGIN_ADDRESS: '2/15m' });
    try {
      const input = { email: 'nobody@example.com', password: 'whatever it is' };
      const outcome = async (server: TestServer, address: string) =>
        (await server.request(LoginDocument, { input }, from(address))).body.data!.login.__typename;
      expect(await outcome(trusting, '203.0.113.1')).toBe('UserNotExist');
      expect(await outcome(trusting, '203.0.113.1')).toBe('UserNotExist');
      expect(await outcome(trusting, '203.0.113.1')).toBe('TooManyRequests');
      expect(await outcome(trusting, '203.0.113.2')).toBe('UserNotExist'); // another client
      // Without TRUST_PROXY the header is ignored: forging it buys nothing.
      expect(await outcome(direct, '203.0.113.1')).toBe('UserNotExist');
      expect(await outcome(direct, '203.0.113.2')).toBe('UserNotExist');
      expect(await outcome(direct, '203.0.113.3')).toBe('TooManyRequests');
    } finally {
      await trusting.close();
      await direct.close();
    }
  });

  it('login attempts per address: an IPv6 client counts per /64, an IPv4-mapped one as IPv4', async () => {
    const server = await startServer({
      RATE_LIMIT: '',
      RATE_LIMIT_LOGIN_ADDRESS: '2/15m',
      TRUST_PROXY: '1',
    });
    try {
      const input = { email: 'nobody@example.com', password: 'whatever it is' };
      const outcome = async (address: string) =>
        (await server.request(LoginDocument, { input }, from(address))).body.data!.login.__typename;
      // One /64, written three ways: a host rotating its interface id gains nothing.
      expect(await outcome('2001:db8:1:2::1')).toBe('UserNotExist');
      expect(await outcome('2001:DB8:1:2:ffff::9')).toBe('UserNotExist');
      expect(await outcome('2001:0db8:0001:0002:abcd:0:0:5')).toBe('TooManyRequests');
      expect(await outcome('2001:db8:1:3::1')).toBe('UserNotExist'); // the next /64
      expect(await outcome('198.51.100.7')).toBe('UserNotExist');
      expect(await outcome('::ffff:c633:6407')).toBe('UserNotExist'); // 198.51.100.7 again
      expect(await outcome('0:0:0:0:0:FFFF:198.51.100.7')).toBe('TooManyRequests');
    } finally {
      await server.close();
    }
  });

  it('an X-Forwarded-For entry that is no address is not used: the socket’s address stands', async () => {
    // TRUST_PROXY=2 with no proxy in front: the entry it reads is the client's own text.
    const server = await startServer({ RATE_LIMIT: '', TRUST_PROXY: '2' });
    try {
      const user = await registerUser(server);
      const addressOf = async (forwardedFor: string) => {
        const { body } = await server.request(
          LoginDocument,
          { input: { account: user.account, password: user.password } },
          { 'x-forwarded-for': forwardedFor },
        );
        const login = body.data!.login;
        if (login.__typename !== 'AuthPayload') throw new Error(JSON.stringify(body));
        const listed = await server.request(SessionsDocument, {}, bearer(login.accessToken));
        const sessions = listed.body.data!.sessions;
        if (sessions.__typename !== 'SessionList') throw new Error(sessions.__typename);
        return sessions.items.find(({ current }) => current)!.address;
      };
      expect(await addressOf(`${'x'.repeat(300)}, 10.0.0.1`)).toBe('127.0.0.1');
      expect(await addressOf('<script>, 10.0.0.1')).toBe('127.0.0.1');
      // IPv6 with a zone, which Node's isIP takes at any length and in odd shapes.
      expect(await addressOf(`fe80::1%${'x'.repeat(300)}, 10.0.0.1`)).toBe('127.0.0.1');
      expect(await addressOf('::1%a:b:c:d:e:f:g:h:i, 10.0.0.1')).toBe('127.0.0.1');
      // What proxies do write: an address, maybe with its port.
      expect(await addressOf('203.0.113.9, 10.0.0.1')).toBe('203.0.113.9');
      expect(await addressOf('203.0.113.9:41234, 10.0.0.1')).toBe('203.0.113.9');
      expect(await addressOf('[2001:db8::7]:443, 10.0.0.1')).toBe('2001:db8::7');
      // An IPv4 client as an IPv6 proxy may write it, in every spelling: the IPv4 client.
      expect(await addressOf('::ffff:203.0.113.10, 10.0.0.1')).toBe('203.0.113.10');
      expect(await addressOf('::FFFF:203.0.113.11, 10.0.0.1')).toBe('203.0.113.11');
      expect(await addressOf('0:0:0:0:0:ffff:203.0.113.12, 10.0.0.1')).toBe('203.0.113.12');
      expect(await addressOf('::ffff:cb00:710d, 10.0.0.1')).toBe('203.0.113.13');
      expect(await addressOf('[::ffff:203.0.113.14]:443, 10.0.0.1')).toBe('203.0.113.14');
    } finally {
      await server.close();
    }
  });

  it('registrations per address', async () => {
    const server = await startServer({ RATE_LIMIT: '', RATE_LIMIT_REGISTER_ADDRESS: '2/1h' });
    try {
      await registerUser(server);
      await registerUser(server);
      const { body } = await server.request(RegisterDocument, {
        input: { username: 'Third', email: 'third@example.com', password: 'third time lucky' },
      });
      expect(body.data!.register).toMatchObject({ __typename: 'TooManyRequests', infocode: 1020 });
      expect((body.data!.register as { retryAfter: number }).retryAfter).toBeGreaterThan(3500);
    } finally {
      await server.close();
    }
  });

  it('wrong current passwords on an email change, per user', async () => {
    const server = await startServer({ RATE_LIMIT: '', RATE_LIMIT_PASSWORD_CHECK: '2/15m' });
    try {
      const user = await registerUser(server);
      const change = async (currentPassword: string) =>
        (
          await server.request(
            UpdateProfileDocument,
            { input: { email: 'moved@example.com', currentPassword } },
            bearer(user.token),
          )
        ).body.data!.updateProfile.__typename;
      expect(await change('not my password 1')).toBe('WrongPassword');
      expect(await change('not my password 2')).toBe('WrongPassword');
      expect(await change(user.password)).toBe('TooManyRequests');
      // Other profile changes need no password and are not limited.
      const { body } = await server.request(
        UpdateProfileDocument,
        { input: { introduction: 'still here' } },
        bearer(user.token),
      );
      expect(body.data!.updateProfile.__typename).toBe('User');
    } finally {
      await server.close();
    }
  });

  it('wrong current passwords sent all at once cannot outnumber the limit either', async () => {
    const server = await startServer({ RATE_LIMIT: '', RATE_LIMIT_PASSWORD_CHECK: '2/15m' });
    try {
      const user = await registerUser(server);
      const outcomes = await allAtOnce(6, async (i) => {
        const { body } = await server.request(
          DeleteAccountDocument,
          { password: `surely this one ${i}` },
          bearer(user.token),
        );
        return body.data!.deleteAccount.__typename;
      });
      expect(outcomes).toEqual({ WrongPassword: 2, TooManyRequests: 4 });
    } finally {
      await server.close();
    }
  });

  it('right current passwords are not counted as wrong ones', async () => {
    const server = await startServer({ RATE_LIMIT: '', RATE_LIMIT_PASSWORD_CHECK: '2/15m' });
    try {
      const user = await registerUser(server);
      for (let i = 0; i < 4; i++) {
        const { body } = await server.request(
          UpdateProfileDocument,
          { input: { email: `moved-${i}@example.com`, currentPassword: user.password } },
          bearer(user.token),
        );
        expect(body.data!.updateProfile).toMatchObject({ email: `moved-${i}@example.com` });
      }
    } finally {
      await server.close();
    }
  });

  it('RATE_LIMIT=off turns every limit off and says so in the log', async () => {
    const server = await startServer({ RATE_LIMIT: 'off', RATE_LIMIT_LOGIN_ACCOUNT: '1/15m' });
    try {
      const user = await registerUser(server);
      for (let i = 0; i < 3; i++) {
        const { body } = await server.request(LoginDocument, {
          input: { account: user.account, password: 'nope nope' },
        });
        expect(body.data!.login.__typename).toBe('WrongPassword');
      }
      expect(
        server.logs.some((line) => line.level === 40 && /RATE_LIMIT=off/.test(String(line.msg))),
      ).toBe(true);
    } finally {
      await server.close();
    }
  });

  it('a malformed limit stops start-up naming the variable', async () => {
    await expect(startServer({ RATE_LIMIT_LOGIN_ACCOUNT: 'twenty' })).rejects.toThrow(
      /RATE_LIMIT_LOGIN_ACCOUNT/,
    );
  });
});

describe('HIDE_ACCOUNT_EXISTENCE=true', () => {
  it('answers an unknown account exactly as a wrong password, limits included', async () => {
    const server = await startServer({
      HIDE_ACCOUNT_EXISTENCE: 'true',
      RATE_LIMIT: '',
      RATE_LIMIT_LOGIN_ACCOUNT: '2/15m',
    });
    try {
      const user = await registerUser(server);
      const answer = async (account: string) => {
        const { body } = await server.request(LoginDocument, {
          input: { account, password: 'a wrong password' },
        });
        return { result: body.data!.login, extensions: body.extensions };
      };
      const known = await answer(user.account);
      const unknown = await answer(user.account === '1000000000' ? '1000000001' : '1000000000');
      expect(unknown).toEqual(known);
      expect(unknown.result).toMatchObject({ __typename: 'WrongPassword', infocode: 1008 });
      // Both reach the per-account limit after the same number of guesses.
      expect((await answer(user.account)).result.__typename).toBe('WrongPassword');
      expect((await answer('1000000000')).result.__typename).toBe('WrongPassword');
      expect((await answer(user.account)).result.__typename).toBe('TooManyRequests');
      expect((await answer('1000000000')).result.__typename).toBe('TooManyRequests');
    } finally {
      await server.close();
    }
  });

  it('is off by default: an unknown account is 1016', async () => {
    const server = await startServer();
    try {
      const { body } = await server.request(LoginDocument, {
        input: { account: '1000000000', password: 'a wrong password' },
      });
      expect(body.data!.login).toMatchObject({ __typename: 'UserNotExist', infocode: 1016 });
    } finally {
      await server.close();
    }
  });
});

describe('common passwords', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server.close());

  it.each(['password123', 'Password123', 'qwertyuiop', 'iloveyou1'])(
    '%s is 1003 with the reason',
    async (password) => {
      const { body } = await server.request(RegisterDocument, {
        input: { username: 'Common', email: `common-${password}@example.com`, password },
      });
      const result = body.data!.register;
      if (result.__typename !== 'InvalidInput') throw new Error(result.__typename);
      expect(result).toMatchObject({ infocode: 1003, field: 'password' });
      expect(result.message).toMatch(/commonly used/);
    },
  );

  it('the reason is given in Chinese too', async () => {
    const { body } = await server.request(
      RegisterDocument,
      { input: { username: 'Common', email: 'common-zh@example.com', password: 'password123' } },
      { 'accept-language': 'zh' },
    );
    expect((body.data!.register as { message: string }).message).toMatch(/常用密码/);
  });
});

describe('production posture', () => {
  it('gives no "Did you mean" hints about the schema, even with introspection turned back on', async () => {
    const dev = await startServer();
    const prod = await startServer({
      NODE_ENV: 'production',
      GRAPHQL_INTROSPECTION: 'true',
      GRAPHQL_PLAYGROUND: 'true',
    });
    try {
      const query = JSON.stringify({ query: '{ infoCode { infocode } }' });
      expect((await dev.post(query)).body.errors![0]!.message).toMatch(/Did you mean/);
      const { body } = await prod.post(query);
      expect(body.errors![0]!.message).not.toMatch(/Did you mean|infoCodes/);
      expect(body.extensions).toEqual({ infocode: 1021, info: 'INVALID_REQUEST' });
    } finally {
      await dev.close();
      await prod.close();
    }
  });
});

describe('homoglyph and stacking tricks in usernames (1002)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server.close());

  const register = async (username: string) => {
    const { body } = await server.request(RegisterDocument, {
      input: {
        username,
        email: `u${Math.random().toString(36).slice(2)}@example.com`,
        password: 'a fine password',
      },
    });
    return body.data!.register;
  };

  it.each([
    ['Аdmin', 'a Cyrillic А in a Latin word'],
    ['pаypal', 'a Cyrillic а inside'],
    ['Αpple', 'a Greek Α'],
    ['Zalgo\u0334\u0335\u0336\u0337', 'four overlay marks stacked on one letter'],
  ])('%s (%s) is refused', async (username) => {
    const result = await register(username);
    if (result.__typename !== 'InvalidInput') throw new Error(result.__typename);
    expect(result).toMatchObject({ infocode: 1002, field: 'username' });
    expect(result.message).toMatch(/look-alike|accents/);
  });

  it.each([
    ['Иван Smith', 'words in different scripts'],
    ['Ελένη', 'Greek'],
    ['小明 Tom', 'Han beside Latin'],
    ['Nguyễn Văn', 'Vietnamese'],
    ['क्षत्रिय', 'Devanagari with its marks'],
  ])('%s (%s) is accepted', async (username) => {
    const result = await register(username);
    if (result.__typename !== 'AuthPayload') throw new Error(JSON.stringify(result));
    expect(result.user.username).toBe(username.normalize('NFKC'));
  });
});
