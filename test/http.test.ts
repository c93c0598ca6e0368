import { readdirSync, statSync } from 'node:fs';
import { maxHeaderSize } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { PLAYGROUND_DIR } from '../src/http/playground';
import { startServer, type TestServer } from './support/server';

const origin = (server: TestServer): string => new URL(server.url).origin;

describe('HTTP surface', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server.close());

  it('GET /health answers 200 JSON while the database answers', async () => {
    const response = await fetch(server.url.replace('/graphql', '/health'));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.json()).toEqual({ status: 'ok', database: 'up' });
  });

  it('GET /ready answers 200 while the database answers; both probes 503 once it does not', async () => {
    const own = await startServer();
    try {
      const ready = await fetch(own.url.replace('/graphql', '/ready'));
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ status: 'ok', database: 'up' });
      await own.app.orm.close(true);
      for (const path of ['/ready', '/health']) {
        const response = await fetch(own.url.replace('/graphql', path));
        expect(response.status).toBe(503);
        expect(await response.json()).toEqual({ status: 'unavailable', database: 'down' });
      }
    } finally {
      await own.close();
    }
  });

  it('a browser opening /graphql gets GraphiQL, every file of it from this server', async () => {
    const response = await fetch(server.url, {
      headers: { accept: 'text/html,application/xhtml+xml' },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/text\/html/);
    const html = await response.text();
    expect(html).toContain('<title>Account API playground</title>');
    // No address of anywhere else, and the browser is told to load from nowhere else either.
    expect(html).not.toMatch(/\/\/|@import|url\(/i);
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1];
    expect(csp?.split('; ')).toEqual(
      expect.arrayContaining(["default-src 'none'", "script-src 'self'", "connect-src 'self'"]),
    );
    // The bundle's entry files, relative to /graphql, so they come from this origin.
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)]
      .map((match) => match[1]!)
      .filter((url) => url !== 'data:,');
    expect(assets).toEqual([
      expect.stringMatching(/^playground\/app-\w+\.css$/),
      expect.stringMatching(/^playground\/app-\w+\.js$/),
    ]);
    for (const asset of assets) {
      const url = new URL(asset, server.url);
      expect(url.origin).toBe(origin(server));
      const file = await fetch(url);
      expect(file.status).toBe(200);
      expect(file.headers.get('content-type')).toBe(
        asset.endsWith('.css') ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8',
      );
      expect(file.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(file.headers.get('content-encoding')).toBe('gzip'); // fetch asks for it, and unzips
      expect((await file.text()).length).toBeGreaterThan(1000);
    }
  });

  it('sends the bundled files unzipped to clients that do not take gzip; nothing else is under /playground/', async () => {
    const script = readdirSync(PLAYGROUND_DIR).find((name) => name.endsWith('.js'))!;
    const url = `${origin(server)}/playground/${script}`;
    const plain = await fetch(url, { headers: { 'accept-encoding': 'identity' } });
    expect(plain.headers.get('content-encoding')).toBeNull();
    expect(Number(plain.headers.get('content-length'))).toBe(
      statSync(join(PLAYGROUND_DIR, script)).size,
    );
    const head = await fetch(url, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');

    for (const path of [
      '/playground/nothing.js',
      `/playground/${script}.gz`,
      '/playground/index.html',
      '/playground/',
      '/playground/%2e%2e%2fpackage.json',
    ]) {
      const response = await fetch(`${origin(server)}${path}`);
      expect(response.status).toBe(404);
      expect(await response.json()).toMatchObject({
        extensions: { infocode: 1021, info: 'INVALID_REQUEST' },
      });
    }
    const post = await fetch(url, { method: 'POST', body: '{}' });
    expect(post.status).toBe(404);
  });

  it('LOG_LEVEL=debug logs one JSON line per request under its request id, and no secret', async () => {
    const own = await startServer({ LOG_LEVEL: 'debug' });
    try {
      const response = await fetch(own.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer secret.token.text' },
        body: JSON.stringify({
          query:
            'mutation { login(input: { email: "nobody@example.com", password: "hunter2 hunter2" }) { __typename } }',
        }),
      });
      const requestId = response.headers.get('x-request-id');
      await response.text();
      await new Promise((settled) => setTimeout(settled, 20)); // 'finish' follows the last byte
      expect(own.logs.filter((line) => line.requestId === requestId)).toEqual([
        expect.objectContaining({
          level: 20,
          msg: 'request',
          method: 'POST',
          path: '/graphql',
          status: 200,
          ms: expect.any(Number) as unknown,
        }),
      ]);
      expect(own.logText()).not.toMatch(/hunter2|secret\.token\.text/);
    } finally {
      await own.close();
    }
  });

  it('every response names its request id', async () => {
    const response = await fetch(server.url.replace('/graphql', '/health'));
    expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

/** Sends `text` on a connection of its own; all the server wrote until it closed the connection. */
function raw(server: TestServer, text: string): Promise<string> {
  const { hostname, port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(Number(port), hostname, () => socket.write(text));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

interface RawAnswer {
  statusLine: string;
  headers: Record<string, string>;
  body: { errors: { message: string; extensions: unknown }[]; extensions: unknown };
}

function parseAnswer(text: string): RawAnswer {
  const [head = '', body = ''] = text.split('\r\n\r\n');
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers = Object.fromEntries(
    lines.map((line) => {
      const colon = line.indexOf(':');
      return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()];
    }),
  );
  expect(Number(headers['content-length'])).toBe(Buffer.byteLength(body));
  return { statusLine, headers, body: JSON.parse(body) as RawAnswer['body'] };
}

describe('requests the HTTP parser refuses still carry the envelope, then the connection closes', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server.close());

  const expectEnvelope = (answer: RawAnswer, infocode: number, info: string, message: string) => {
    expect(answer.headers).toMatchObject({
      'content-type': 'application/json; charset=utf-8',
      connection: 'close',
      'x-request-id': expect.stringMatching(/^[0-9a-f-]{36}$/) as unknown,
    });
    expect(answer.body).toEqual({
      errors: [{ message, extensions: { code: 'BAD_REQUEST', infocode, info } }],
      extensions: { infocode, info },
    });
  };

  it('a GET whose URL is longer than Node takes (431) is 1022, in English whatever the client asked', async () => {
    const query = `{ infoCodes { ${'infocode '.repeat(2400)}} }`; // ~21 KB in the query string
    const text = await raw(
      server,
      `GET /graphql?query=${encodeURIComponent(query)} HTTP/1.1\r\nHost: x\r\n` +
        'Accept-Language: zh-CN\r\n\r\n',
    );
    const answer = parseAnswer(text);
    expect(answer.statusLine).toBe('HTTP/1.1 431 Request Header Fields Too Large');
    expectEnvelope(
      answer,
      1022,
      'QUERY_TOO_COMPLEX',
      `The request line and headers are larger than ${maxHeaderSize} bytes; send a long query in a POST body.`,
    );
  });

  it('a fetch of such a URL reads the same answer', async () => {
    const query = `{ infoCodes { ${'infocode '.repeat(2400)}} }`;
    const response = await fetch(`${server.url}?query=${encodeURIComponent(query)}`);
    expect(response.status).toBe(431);
    expect(await response.json()).toMatchObject({
      extensions: { infocode: 1022, info: 'QUERY_TOO_COMPLEX' },
    });
  });

  it.each([
    ['a request line that is not HTTP', 'HELLO THERE\r\n\r\n'],
    ['a header line without a colon', 'GET /health HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n'],
    [
      'a body with both Content-Length and chunked Transfer-Encoding',
      'POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
        'Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    ],
  ])('%s is 400 / 1021', async (_name, request) => {
    const answer = parseAnswer(await raw(server, request));
    expect(answer.statusLine).toBe('HTTP/1.1 400 Bad Request');
    expectEnvelope(answer, 1021, 'INVALID_REQUEST', 'The request is not valid HTTP.');
  });

  it('a body whose chunk extensions are too large (413) is 1022', async () => {
    const answer = parseAnswer(
      await raw(
        server,
        'POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
          `Transfer-Encoding: chunked\r\n\r\n2;a=${'b'.repeat(20_000)}\r\n{}\r\n0\r\n\r\n`,
      ),
    );
    expect(answer.statusLine).toBe('HTTP/1.1 413 Payload Too Large');
    expectEnvelope(
      answer,
      1022,
      'QUERY_TOO_COMPLEX',
      'The chunk extensions of the request body are too large.',
    );
  });

  it('the server goes on answering, and logged no failure', async () => {
    const response = await fetch(server.url.replace('/graphql', '/health'));
    expect(response.status).toBe(200);
    expect(server.logs.filter((line) => Number(line.level) >= 50)).toEqual([]);
  });
});

describe('production posture', () => {
  it('serves no playground and no introspection unless asked to', async () => {
    const server = await startServer({ NODE_ENV: 'production' });
    try {
      const page = await fetch(server.url, { headers: { accept: 'text/html' } });
      expect(page.headers.get('content-type') ?? '').not.toMatch(/text\/html/);
      const script = readdirSync(PLAYGROUND_DIR).find((name) => name.endsWith('.js'))!;
      const asset = await fetch(`${origin(server)}/playground/${script}`);
      expect(asset.status).toBe(404);
      expect(await asset.json()).toMatchObject({ extensions: { infocode: 1021 } });
      const { body } = await server.post(
        JSON.stringify({ query: '{ __schema { queryType { name } } }' }),
      );
      expect(body.errors![0]!.extensions).toMatchObject({
        infocode: 1021,
        info: 'INVALID_REQUEST',
      });
    } finally {
      await server.close();
    }
  });

  it('GRAPHQL_PLAYGROUND and GRAPHQL_INTROSPECTION turn them back on', async () => {
    const server = await startServer({
      NODE_ENV: 'production',
      GRAPHQL_PLAYGROUND: 'true',
      GRAPHQL_INTROSPECTION: 'true',
    });
    try {
      const page = await fetch(server.url, { headers: { accept: 'text/html' } });
      expect(await page.text()).toContain('Account API playground');
      const script = readdirSync(PLAYGROUND_DIR).find((name) => name.endsWith('.js'))!;
      expect((await fetch(`${origin(server)}/playground/${script}`)).status).toBe(200);
      const { body } = await server.post(
        JSON.stringify({ query: '{ __schema { queryType { name } } }' }),
      );
      expect(body.data).toEqual({ __schema: { queryType: { name: 'Query' } } });
    } finally {
      await server.close();
    }
  });

  it('refuses to start without a JWT_SECRET of at least 32 bytes', async () => {
    await expect(startServer({ NODE_ENV: 'production', JWT_SECRET: '' })).rejects.toThrow(
      'JWT_SECRET is required when NODE_ENV=production',
    );
    await expect(startServer({ NODE_ENV: 'production', JWT_SECRET: 'too short' })).rejects.toThrow(
      'JWT_SECRET must be at least 32 bytes',
    );
  });
});
