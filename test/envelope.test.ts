import { MeDocument } from './generated/graphql';
import { registerUser } from './support/accounts';
import { asSchemaChange, bearer, startServer, type TestServer } from './support/server';

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.close());

const query = (text: string, variables?: unknown, headers?: Record<string, string>) =>
  server.post(JSON.stringify({ query: text, variables }), headers);

describe('E2: every errors[] entry carries infocode and info', () => {
  it.each([
    ['a missing required argument', 'mutation { register { __typename } }'],
    [
      'a missing required input field',
      'mutation { register(input: { username: "Ada", email: "a@example.com" }) { __typename } }',
    ],
    [
      'a null for a required input field',
      'mutation { login(input: { password: null }) { __typename } }',
    ],
  ])('%s is 1001 MISSING_REQUIRED_PARAMS', async (_name, document) => {
    const { status, body } = await query(document);
    expect(status).toBe(400);
    expect(body.data).toBeUndefined();
    expect(body.errors![0]!.extensions).toMatchObject({
      code: 'GRAPHQL_VALIDATION_FAILED',
      infocode: 1001,
      info: 'MISSING_REQUIRED_PARAMS',
    });
    expect(body.extensions).toEqual({ infocode: 1001, info: 'MISSING_REQUIRED_PARAMS' });
  });

  it('a required variable that is absent, or an input variable missing a field, is 1001', async () => {
    const document = 'mutation ($input: RegisterInput!) { register(input: $input) { __typename } }';
    for (const variables of [{}, { input: { username: 'Ada', email: 'a@example.com' } }]) {
      const { status, body } = await query(document, variables);
      expect(status).toBe(400);
      expect(body.errors![0]!.extensions).toMatchObject({
        infocode: 1001,
        info: 'MISSING_REQUIRED_PARAMS',
      });
      expect(body.extensions).toEqual({ infocode: 1001, info: 'MISSING_REQUIRED_PARAMS' });
    }
  });

  it.each([
    ['a required variable sent as null', { input: null }],
    ['a required field of an input variable sent as null', { input: { password: null } }],
  ])('%s is 1001', async (_name, variables) => {
    const document = 'mutation ($input: LoginInput!) { login(input: $input) { __typename } }';
    const { status, body } = await query(document, variables);
    expect(status).toBe(400);
    expect(body.errors![0]!.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      infocode: 1001,
      info: 'MISSING_REQUIRED_PARAMS',
    });
    expect(body.extensions).toEqual({ infocode: 1001, info: 'MISSING_REQUIRED_PARAMS' });
  });

  it('a null for a required argument, through a variable with a default, is 1001, not 1023', async () => {
    // Validation accepts a nullable variable with a default in a non-null argument; the null
    // the client sends for it fails the field when execution reads its arguments.
    const { status, body } = await query(
      'mutation ($id: ID = "1") { revokeSession(id: $id) { __typename } }',
      { id: null },
    );
    expect(status).toBe(200);
    expect(body.data).toBeNull();
    expect(body.errors).toHaveLength(1);
    expect(body.errors![0]!.path).toEqual(['revokeSession']);
    expect(body.errors![0]!.message).toBe('Argument "id" of non-null type "ID!" must not be null.');
    expect(body.errors![0]!.extensions).toEqual({
      code: 'BAD_REQUEST',
      infocode: 1001,
      info: 'MISSING_REQUIRED_PARAMS',
    });
    expect(body.extensions).toEqual({ infocode: 1001, info: 'MISSING_REQUIRED_PARAMS' });
    expect(server.logs.filter((line) => Number(line.level) >= 50)).toEqual([]);
  });

  it('a directive without its required argument is 1001', async () => {
    const { body } = await query('{ infoCodes @include { infocode } }');
    expect(body.extensions).toEqual({ infocode: 1001, info: 'MISSING_REQUIRED_PARAMS' });
  });

  // graphql-js quotes the value it refuses: the client's words must not decide the code.
  it.each([
    [
      'an argument: "must not be null"',
      '{ users(first: "must not be null") { __typename } }',
      undefined,
    ],
    ['an argument: "found null"', '{ users(first: "found null") { __typename } }', undefined],
    [
      'an argument: "is required, but it was not provided."',
      '{ users(first: "is required, but it was not provided.") { __typename } }',
      undefined,
    ],
    [
      'a variable: "found null"',
      'query ($f: Int) { users(first: $f) { __typename } }',
      { f: 'found null' },
    ],
    [
      'a variable: "must not be null"',
      'query ($f: Int) { users(first: $f) { __typename } }',
      { f: 'must not be null' },
    ],
    [
      'an input variable: "…not to be null."',
      'mutation ($input: LoginInput!) { login(input: $input) { __typename } }',
      {
        input: {
          password: 'x',
          email: ['; Expected non-nullable type "String!" not to be null.'],
        },
      },
    ],
  ])('a wrong type in %s stays 1021', async (_name, document, variables) => {
    const { status, body } = await query(document, variables);
    expect(status).toBe(400);
    expect(body.errors).toHaveLength(1);
    expect(body.errors![0]!.extensions).toMatchObject({
      infocode: 1021,
      info: 'INVALID_REQUEST',
    });
    expect(body.extensions).toEqual({ infocode: 1021, info: 'INVALID_REQUEST' });
  });

  it.each([
    ['a syntax error', '{ infoCodes { infocode '],
    ['an unknown field', '{ infoCodes { nope } }'],
    ['an argument of the wrong type', 'query { user(id: 5, account: 7) { __typename } }'],
  ])('%s is 1021 INVALID_REQUEST', async (_name, document) => {
    const { status, body } = await query(document);
    expect(status).toBe(400);
    expect(body.errors![0]!.extensions).toMatchObject({ infocode: 1021, info: 'INVALID_REQUEST' });
    expect(body.extensions).toEqual({ infocode: 1021, info: 'INVALID_REQUEST' });
  });

  it('a variable of the wrong type is 1021', async () => {
    const { body } = await query('query ($id: ID) { user(id: $id) { __typename } }', {
      id: { not: 'an id' },
    });
    expect(body.errors![0]!.extensions).toMatchObject({ infocode: 1021, info: 'INVALID_REQUEST' });
    expect(body.extensions).toEqual({ infocode: 1021, info: 'INVALID_REQUEST' });
  });

  it('a subscription, which this API does not offer, is 1021 and nothing runs', async () => {
    const { status, body } = await query('subscription { me { __typename } }', {});
    expect(status).toBe(400);
    expect(body.data).toBeUndefined();
    expect(body.errors).toHaveLength(1);
    expect(body.errors![0]!.message).toBe('This API has no subscription operations.');
    expect(body.errors![0]!.extensions).toMatchObject({ infocode: 1021, info: 'INVALID_REQUEST' });
    expect(server.logs.filter((line) => Number(line.level) >= 50)).toEqual([]);
  });
});

describe('E3: top-level extensions name the first failure in document order', () => {
  it('is OK when every field succeeded', async () => {
    const { body } = await query('{ infoCodes { infocode } }');
    expect(body.extensions).toEqual({ infocode: 1000, info: 'OK' });
  });

  it('names the first failing field, whichever way the document orders them', async () => {
    const { body: first } = await query(
      '{ a: infoCodes { infocode } b: user(account: "123") { __typename } c: me { __typename } }',
    );
    expect(first.data).toMatchObject({
      b: { __typename: 'InvalidInput' },
      c: { __typename: 'InvalidToken' },
    });
    expect(first.extensions).toEqual({ infocode: 1014, info: 'ACCOUNT_NOT_SPECIFICATION' });

    const { body: second } = await query(
      '{ c: me { __typename } a: infoCodes { infocode } b: user(account: "123") { __typename } }',
    );
    expect(second.extensions).toEqual({ infocode: 1010, info: 'INVALID_TOKEN_ERROR' });
  });

  it('orders by the document when a failed non-null root field leaves data null', async () => {
    // `me` answers InvalidToken without touching the database; `user` reads the users table,
    // hidden here, so it fails with 1023 and, being non-null, takes `data` with it. The first
    // failure in document order is user's, whatever finished first.
    const connection = server.app.orm.em.getConnection();
    await asSchemaChange(server, async () => {
      await connection.execute('alter table users rename to users_hidden');
      try {
        for (const [document, expected] of [
          [
            '{ a: user(account: "1234567890") { __typename } b: me { __typename } }',
            { infocode: 1023, info: 'INTERNAL_ERROR' },
          ],
          [
            'query { ...Me a: user(account: "1234567890") { __typename } } ' +
              'fragment Me on Query { b: me { __typename } }',
            { infocode: 1010, info: 'INVALID_TOKEN_ERROR' },
          ],
        ] as const) {
          const { body } = await query(document);
          expect(body.data).toBeNull();
          expect(body.errors!.map((error) => error.path)).toEqual([['a']]);
          expect(body.extensions).toEqual(expected);
        }
      } finally {
        await connection.execute('alter table users_hidden rename to users');
      }
    });
  });

  it('counts a failure even when the client selects none of its fields', async () => {
    const { body } = await query('{ me { ... on User { id } } }');
    expect(body.data).toEqual({ me: {} });
    expect(body.extensions).toEqual({ infocode: 1010, info: 'INVALID_TOKEN_ERROR' });
  });

  it('a GET query is answered with the same envelope', async () => {
    const response = await fetch(
      `${server.url}?query=${encodeURIComponent('{ infoCodes { infocode } }')}`,
      {
        headers: { accept: 'application/json' },
      },
    );
    expect(response.status).toBe(200);
    const body = (await response.json()) as { extensions: unknown };
    expect(body.extensions).toEqual({ infocode: 1000, info: 'OK' });
  });
});

describe('E4: messages follow Accept-Language', () => {
  it('union members speak Chinese to zh-* and English otherwise', async () => {
    const zh = await server.request(MeDocument, {}, { 'accept-language': 'zh-TW,zh;q=0.9' });
    const en = await server.request(MeDocument, {}, { 'accept-language': 'fr-FR, en;q=0.5' });
    const zhMe = zh.body.data!.me;
    const enMe = en.body.data!.me;
    if (zhMe.__typename !== 'InvalidToken' || enMe.__typename !== 'InvalidToken')
      throw new Error('not 1010');
    expect(zhMe.message).toMatch(/[\u4e00-\u9fff]/);
    expect(enMe.message).toMatch(/^[\x20-\x7e]+$/);
  });

  it('errors[] entries speak Chinese too', async () => {
    const { body } = await query('{ nope }', undefined, { 'accept-language': 'zh' });
    expect(body.errors![0]!.message).toMatch(/^请求不是有效的 GraphQL 请求/);
  });

  it('our own request errors speak Chinese whole; graphql-js’s keep their English after the row text', async () => {
    const zh = { 'accept-language': 'zh' };
    const subscription = await query('subscription { me { __typename } }', {}, zh);
    expect(subscription.body.errors![0]!.message).toBe(
      '请求不是有效的 GraphQL 请求：本接口没有 subscription 类型的操作。',
    );
    const hash = await server.post(
      JSON.stringify({
        query: '{ me { __typename } }',
        extensions: { persistedQuery: { version: 1, sha256Hash: 7 } },
      }),
      zh,
    );
    expect(hash.body.errors![0]!.message).toBe(
      '请求不是有效的 GraphQL 请求：extensions.persistedQuery.sha256Hash 必须是字符串。',
    );
    const unknown = await query('{ nope }', undefined, zh);
    expect(unknown.body.errors![0]!.message).toBe(
      '请求不是有效的 GraphQL 请求：Cannot query field "nope" on type "Query".',
    );
  });

  it('an English preference ranked above Chinese stays English', async () => {
    const { body } = await query('{ me { ... on ErrorResult { message } } }', undefined, {
      'accept-language': 'en-US,en;q=0.9,zh-CN;q=0.8',
    });
    expect((body.data as { me: { message: string } }).me.message).toMatch(/^[\x20-\x7e]+$/);
  });
});

describe('1023 INTERNAL_ERROR', () => {
  it('hides the cause from the client and logs it under the request id', async () => {
    const user = await registerUser(server);
    const connection = server.app.orm.em.getConnection();
    await asSchemaChange(server, async () => {
      await connection.execute('alter table users rename to users_hidden');
      try {
        const { status, body } = await server.request(MeDocument, {}, bearer(user.token));
        expect(status).toBe(200);
        const error = body.errors![0]!;
        expect(error.extensions).toMatchObject({
          code: 'INTERNAL_SERVER_ERROR',
          infocode: 1023,
          info: 'INTERNAL_ERROR',
        });
        const requestId = error.extensions.requestId!;
        expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
        expect(error.message).toContain(requestId);
        const text = JSON.stringify(body);
        for (const leak of ['users', 'select', 'SQLITE', 'no such table', 'at ', '.ts:', 'stack']) {
          expect(text).not.toContain(leak);
        }
        expect(body.extensions).toEqual({ infocode: 1023, info: 'INTERNAL_ERROR' });
        const logged = server.logs.find((line) => line.requestId === requestId);
        expect(logged).toMatchObject({ level: 50, msg: 'unexpected failure' });
      } finally {
        await connection.execute('alter table users_hidden rename to users');
      }
    });
    const { body } = await server.request(MeDocument, {}, bearer(user.token));
    expect(body.data!.me.__typename).toBe('User');
  });
});

describe('requests refused before GraphQL runs still carry the envelope', () => {
  it('bad JSON is 400 / 1021', async () => {
    const { status, body } = await server.post('{"query": ');
    expect(status).toBe(400);
    expect(body.errors![0]!.extensions).toMatchObject({ infocode: 1021, info: 'INVALID_REQUEST' });
    expect(body.extensions).toEqual({ infocode: 1021, info: 'INVALID_REQUEST' });
  });

  it('a body without a query is 400 / 1021', async () => {
    const { status, body } = await server.post('{"variables": {}}');
    expect(status).toBe(400);
    expect(body.errors![0]!.extensions).toMatchObject({ infocode: 1021, info: 'INVALID_REQUEST' });
    expect(body.extensions).toEqual({ infocode: 1021, info: 'INVALID_REQUEST' });
  });

  it('a JSON array batch is refused with 1022', async () => {
    const { status, body } = await server.post(
      JSON.stringify([
        { query: '{ infoCodes { infocode } }' },
        { query: '{ infoCodes { infocode } }' },
      ]),
    );
    expect(status).toBe(400);
    expect(body.extensions).toEqual({ infocode: 1022, info: 'QUERY_TOO_COMPLEX' });
  });

  it('a body over MAX_BODY_BYTES is 413 / 1022', async () => {
    const padding = 'x'.repeat(server.config.maxBodyBytes);
    const { status, body } = await server.post(
      JSON.stringify({ query: `{ infoCodes { infocode } } # ${padding}` }),
    );
    expect(status).toBe(413);
    expect(body.extensions).toEqual({ infocode: 1022, info: 'QUERY_TOO_COMPLEX' });
  });

  /** POSTs raw bytes, as a client with another idea of the encoding would. */
  async function postBytes(bytes: Buffer, contentType: string, lang = 'en') {
    const response = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': contentType, 'accept-language': lang },
      body: bytes,
    });
    return {
      status: response.status,
      contentType: response.headers.get('content-type'),
      body: (await response.json()) as {
        data?: unknown;
        errors?: { message: string; extensions: Record<string, unknown> }[];
        extensions: unknown;
      },
    };
  }

  const registration = (email: string, password: string) =>
    JSON.stringify({
      query:
        'mutation ($input: RegisterInput!) { register(input: $input) { __typename ... on ErrorResult { infocode } } }',
      variables: { input: { username: 'Encoded', email, password } },
    });

  it('a body that is not UTF-8 is 400 / 1021 and never executed: a Latin-1 password is not altered', async () => {
    const email = 'latin1@example.com';
    const latin1 = Buffer.from(registration(email, 'contraseña segura'), 'latin1');
    const { status, contentType, body } = await postBytes(latin1, 'application/json');
    expect(status).toBe(400);
    expect(contentType).toBe('application/json; charset=utf-8');
    expect(body.data).toBeUndefined();
    expect(body.errors).toEqual([
      {
        message: 'The request body is not valid UTF-8.',
        extensions: { code: 'BAD_REQUEST', infocode: 1021, info: 'INVALID_REQUEST' },
      },
    ]);
    expect(body.extensions).toEqual({ infocode: 1021, info: 'INVALID_REQUEST' });
    expect((await postBytes(latin1, 'application/json', 'zh')).body.errors![0]!.message).toBe(
      '请求体不是有效的 UTF-8。',
    );
    // Nothing ran: the email is still free, and the same text in UTF-8 registers.
    const utf8 = Buffer.from(registration(email, 'contraseña segura'), 'utf8');
    expect((await postBytes(utf8, 'application/json')).body.data).toEqual({
      register: { __typename: 'AuthPayload' },
    });
  });

  let declared = 0;
  it.each([
    'application/json; charset=iso-8859-1',
    'application/json;charset="ISO-8859-1"',
    'application/json; charset=utf-16',
    'application/graphql-response+json; charset=windows-1252',
  ])('a body declared in another charset (%s) is 415 / 1021 and never executed', async (type) => {
    const email = `charset-${(declared += 1)}@example.com`;
    const { status, body } = await postBytes(
      Buffer.from(registration(email, 'contraseña segura'), 'latin1'),
      type,
    );
    expect(status).toBe(415);
    expect(body.errors).toEqual([
      {
        message:
          'A POST body must be encoded in UTF-8 (no charset, or charset=utf-8 in Content-Type).',
        extensions: { code: 'BAD_REQUEST', infocode: 1021, info: 'INVALID_REQUEST' },
      },
    ]);
    expect(body.extensions).toEqual({ infocode: 1021, info: 'INVALID_REQUEST' });
    const utf8 = Buffer.from(registration(email, 'contraseña segura'), 'utf8');
    expect((await postBytes(utf8, 'application/json')).body.data).toEqual({
      register: { __typename: 'AuthPayload' },
    });
  });

  it.each([
    'application/json; charset=utf-8',
    'application/json; charset=UTF-8',
    'application/json;charset="utf-8"',
    'application/json; charset=utf8',
  ])('a UTF-8 body declared as %s is read', async (type) => {
    const { status, body } = await postBytes(
      Buffer.from(JSON.stringify({ query: '{ infoCodes { info } }' }), 'utf8'),
      type,
    );
    expect(status).toBe(200);
    expect(body.extensions).toEqual({ infocode: 1000, info: 'OK' });
  });

  it('a body that starts with a UTF-8 byte order mark is not JSON: 400 / 1021, as before', async () => {
    const bom = Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]),
      Buffer.from(JSON.stringify({ query: '{ infoCodes { info } }' })),
    ]);
    const { status, body } = await postBytes(bom, 'application/json');
    expect(status).toBe(400);
    expect(body.errors![0]!.message).toBe('The request body is not valid JSON.');
    expect(body.extensions).toEqual({ infocode: 1021, info: 'INVALID_REQUEST' });
  });

  it('a refusal speaks application/graphql-response+json to a client that accepts it', async () => {
    const response = await fetch(server.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json, application/json;q=0.9',
      },
      body: '{ not json',
    });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toBe(
      'application/graphql-response+json; charset=utf-8',
    );
    expect(((await response.json()) as { extensions: unknown }).extensions).toEqual({
      infocode: 1021,
      info: 'INVALID_REQUEST',
    });
    const plain = await server.post('{ not json');
    expect(plain.headers.get('content-type')).toBe('application/json; charset=utf-8');
  });

  it('a simple cross-site POST (text/plain) is refused and never executed', async () => {
    const email = 'csrf-victim@example.com';
    const document = `mutation { register(input: { username: "Mallory", email: "${email}", password: "csrf password 1" }) { __typename } }`;
    for (const contentType of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
    ]) {
      const { status, body } = await server.post(JSON.stringify({ query: document }), {
        'content-type': contentType,
      });
      expect(status).toBe(415);
      expect(body.extensions).toEqual({ infocode: 1021, info: 'INVALID_REQUEST' });
    }
    // Not executed: the email is still free.
    const { body: after } = await query(document);
    expect((after.data as { register: { __typename: string } }).register.__typename).toBe(
      'AuthPayload',
    );
  });

  it('a POST whose Accept takes no JSON is 406 and never executed', async () => {
    const email = 'accepts-no-json@example.com';
    const document = `mutation { register(input: { username: "Plain", email: "${email}", password: "plain password 1" }) { __typename } }`;
    for (const accept of ['text/plain', 'text/html', 'application/xml, text/*;q=0.5']) {
      const { status, body } = await server.post(JSON.stringify({ query: document }), { accept });
      expect(status).toBe(406);
      expect(body.extensions).toEqual({ infocode: 1021, info: 'INVALID_REQUEST' });
      expect(body.errors![0]!.message).toMatch(/accept'? header/i);
    }
    // An empty Accept takes anything, as Apollo reads it.
    const empty = await server.post(JSON.stringify({ query: '{ __typename }' }), { accept: '' });
    expect(empty.status).toBe(200);
    // Not executed: the email is still free, so the client's retry registers it.
    const { body: after } = await query(document, undefined, { accept: 'application/*' });
    expect((after.data as { register: { __typename: string } }).register.__typename).toBe(
      'AuthPayload',
    );
  });

  it('a mutation over GET is refused and never executed', async () => {
    const document =
      'mutation { register(input: { username: "Getter", email: "get@example.com", password: "get password 1" }) { __typename } }';
    const response = await fetch(`${server.url}?query=${encodeURIComponent(document)}`, {
      headers: { accept: 'application/json', 'apollo-require-preflight': 'true' },
    });
    expect(response.status).toBe(405);
    const body = (await response.json()) as { extensions: unknown };
    expect(body.extensions).toEqual({ infocode: 1021, info: 'INVALID_REQUEST' });
    const { body: after } = await query(document);
    expect((after.data as { register: { __typename: string } }).register.__typename).toBe(
      'AuthPayload',
    );
  });

  it('an unknown path is a JSON 404 with the envelope', async () => {
    const response = await fetch(server.url.replace('/graphql', '/nowhere'));
    expect(response.status).toBe(404);
    const body = (await response.json()) as { extensions: unknown };
    expect(body.extensions).toEqual({ infocode: 1021, info: 'INVALID_REQUEST' });
  });
});
