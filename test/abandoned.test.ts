import { connect } from 'node:net';
import { type TypedDocumentNode } from '@graphql-typed-document-node/core';
import { LoginDocument, RegisterDocument, SessionsDocument } from './generated/graphql';
import { registerUser, type Registered, sessionIdOf } from './support/accounts';
import { fillHashLine } from './support/hash-line';
import { bearer, startServer, type TestServer } from './support/server';
import { eventually } from './support/wait';

// A request whose client hangs up while it waits for a password hash gets no hash: under
// overload the queue would otherwise hash for clients that have given up, and the login would
// still open a session that nobody holds. One hash at a time here, so that a request can be made
// to wait behind others for certain. A password never checked counts as no wrong password: the
// limit of one per account here would refuse the next login were it counted.
describe('a client that hangs up while its request waits for a hash', () => {
  let server: TestServer;
  let ada: Registered;

  beforeAll(async () => {
    server = await startServer({
      PASSWORD_HASH_CONCURRENCY: '1',
      RATE_LIMIT: '',
      RATE_LIMIT_LOGIN_ACCOUNT: '1/15m',
      RATE_LIMIT_LOGIN_ADDRESS: '1000/15m',
      RATE_LIMIT_REGISTER_ADDRESS: '1000/1h',
    });
    ada = await registerUser(server);
  });
  afterAll(() => server.close());

  /**
   * Registrations that take the only hashing turn, 12 hashes in a row (fillHashLine), each
   * settling as 'registered' or its error's message. Whatever is sent next waits behind them.
   */
  async function queueAhead(): Promise<Promise<string>[]> {
    const ahead = await fillHashLine(server, 12);
    return ahead.map((registered) =>
      registered.then(
        () => 'registered',
        (error: Error) => error.message,
      ),
    );
  }

  const handledHangUps = () =>
    server.logs.filter(
      ({ msg }) =>
        msg === 'client gone before its answer: the work still queued for it was skipped',
    ).length;

  /**
   * Sends `document` and hangs up once the server has had it long enough to queue its hash; then
   * waits until the server has seen the hang-up through (its log line comes last, once what was
   * counted for the request is given back).
   */
  async function sendAndHangUp<TVariables>(
    document: TypedDocumentNode<unknown, TVariables>,
    variables: TVariables,
  ): Promise<void> {
    const before = handledHangUps();
    const controller = new AbortController();
    const sent = server
      .request(document, variables, {}, controller.signal)
      .catch((error: Error) => error.name);
    await new Promise((wait) => setTimeout(wait, 30));
    controller.abort();
    expect(await sent).toBe('AbortError');
    expect(await eventually(() => handledHangUps() > before)).toBe(true);
  }

  it('a login opens no session', async () => {
    const ahead = await queueAhead();
    await sendAndHangUp(LoginDocument, {
      input: { account: ada.account, password: ada.password },
    });
    // This login's hash queues behind the abandoned one's turn: when it answers, that turn is over.
    const { body: after } = await server.request(LoginDocument, {
      input: { account: ada.account, password: ada.password },
    });
    expect(await Promise.all(ahead)).toEqual(ahead.map(() => 'registered'));
    const login = after.data?.login;
    if (login?.__typename !== 'AuthPayload') throw new Error(JSON.stringify(after));

    // Had the abandoned login hashed, it would have opened a third session. Its turn came before
    // the second login's, but its write may land a little later: look a few times.
    const listed = async () => {
      const { body } = await server.request(SessionsDocument, {}, bearer(ada.token));
      const sessions = body.data?.sessions;
      return sessions?.__typename === 'SessionList' ? sessions.items.map(({ id }) => id) : [];
    };
    let ids: string[] = [];
    await eventually(async () => (ids = await listed()).length !== 2, {
      withinMs: 500,
      everyMs: 100,
    });
    expect(ids.sort()).toEqual([ada.sessionId, sessionIdOf(login.accessToken)].sort());
    expect(server.logs).toContainEqual(
      expect.objectContaining({
        msg: 'client gone before its answer: the work still queued for it was skipped',
        path: ['login'],
      }),
    );
    expect(server.logs.filter((line) => Number(line.level) >= 50)).toEqual([]);
  });

  it('a login whose wrong password was never checked counts no wrong password', async () => {
    const ahead = await queueAhead();
    await sendAndHangUp(LoginDocument, {
      input: { account: ada.account, password: 'not the password at all' },
    });
    const { body } = await server.request(LoginDocument, {
      input: { account: ada.account, password: ada.password },
    });
    expect(body.data?.login?.__typename).toBe('AuthPayload');
    expect(await Promise.all(ahead)).toEqual(ahead.map(() => 'registered'));
  });

  it('a registration creates no account, so its email can register at once', async () => {
    const email = `gone-${Date.now()}@example.com`;
    const input = { username: 'Gone Soon', email, password: 'a patient passphrase 7' };
    const ahead = await queueAhead();
    await sendAndHangUp(RegisterDocument, { input });
    // Queued behind the abandoned registration: had that one stored its account, this one's
    // insert would find the email taken (1012).
    const { body } = await server.request(RegisterDocument, { input });
    expect(body.data?.register?.__typename).toBe('AuthPayload');
    expect(await Promise.all(ahead)).toEqual(ahead.map(() => 'registered'));
    expect(server.logs.filter((line) => Number(line.level) >= 50)).toEqual([]);
  });

  it('a client that waits gets its answer as before', async () => {
    const ahead = await queueAhead();
    const { body } = await server.request(LoginDocument, {
      input: { account: ada.account, password: ada.password },
    });
    expect(body.data?.login?.__typename).toBe('AuthPayload');
    expect(await Promise.all(ahead)).toEqual(ahead.map(() => 'registered'));
  });
});

// A client that hangs up in the middle of sending its body (a mobile client losing its network,
// a timeout in a proxy) is no failure of the server's: Node ends the request with an "aborted"
// error, which is logged at info level like any hang-up, and no 500 is attempted on a dead socket.
describe('a client that hangs up while it sends its request body', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server.close());

  it('is logged at info level, and nothing at error level', async () => {
    const { hostname, port } = new URL(server.url);
    const body = JSON.stringify({ query: '{ infoCodes { infocode } }' });
    const arrived = new Promise((seen) => server.app.server.once('request', seen));
    const socket = connect(Number(port), hostname);
    await new Promise<void>((connected) => socket.once('connect', connected));
    socket.write(
      'POST /graphql HTTP/1.1\r\n' +
        `Host: ${hostname}:${port}\r\n` +
        'Content-Type: application/json\r\n' +
        `Content-Length: ${body.length + 100}\r\n\r\n` +
        body,
    );
    // The server has begun the request, and waits for the rest of its body, when the client goes.
    await arrived;
    await new Promise((wait) => setTimeout(wait, 50));
    socket.destroy();

    const aboutIt = () => server.logs.filter(({ requestId }) => typeof requestId === 'string');
    expect(await eventually(() => aboutIt().length > 0)).toBe(true);
    await new Promise((wait) => setTimeout(wait, 100)); // anything more it would log
    expect(server.logs.filter(({ level }) => Number(level) >= 50)).toEqual([]);
    expect(aboutIt()).toEqual([
      expect.objectContaining({
        level: 30, // info
        msg: 'client gone before its answer: its request body was cut short',
      }),
    ]);
  });
});
