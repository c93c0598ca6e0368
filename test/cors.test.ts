/**
 * CORS_ORIGINS: which web pages may call /graphql from a browser. What the browser is told, for a
 * preflight and for the request after it; the browser's own reading of it is in
 * cors.browser.test.ts.
 */
import { request as httpRequest } from 'node:http';
import { startServer, type TestServer } from './support/server';

const APP = 'https://app.example';
const QUERY = JSON.stringify({ query: '{ __typename }' });

/** A raw HTTP exchange (fetch would not let a test set Origin as a browser does). */
function exchange(
  server: TestServer,
  method: string,
  headers: Record<string, string>,
  body?: string,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((done, fail) => {
    const sent = httpRequest(server.url, { method, headers }, (response) => {
      response.resume();
      response.on('end', () => done({ status: response.statusCode!, headers: response.headers }));
    });
    sent.on('error', fail);
    sent.end(body);
  });
}

const preflight = (server: TestServer, origin: string) =>
  exchange(server, 'OPTIONS', {
    origin,
    'access-control-request-method': 'POST',
    'access-control-request-headers': 'authorization,content-type',
  });

const post = (server: TestServer, origin: string, contentType = 'application/json') =>
  exchange(server, 'POST', { origin, 'content-type': contentType }, QUERY);

const CORS_HEADERS = [
  'access-control-allow-origin',
  'access-control-allow-methods',
  'access-control-allow-headers',
  'access-control-expose-headers',
];
const corsHeadersOf = (headers: Record<string, unknown>) =>
  CORS_HEADERS.filter((name) => headers[name] !== undefined);

describe('without CORS_ORIGINS (the default): same origin only', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server.close());

  it('a preflight from another origin is not granted', async () => {
    const answer = await preflight(server, APP);
    expect(answer.status).not.toBe(204);
    expect(corsHeadersOf(answer.headers)).toEqual([]);
  });

  it('a request with an Origin is answered without CORS headers', async () => {
    const answer = await post(server, APP);
    expect(answer.status).toBe(200);
    expect(corsHeadersOf(answer.headers)).toEqual([]);
  });
});

describe('CORS_ORIGINS=https://app.example,http://localhost:5173', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ CORS_ORIGINS: `${APP}, http://localhost:5173` });
  });
  afterAll(() => server.close());

  it('a preflight from a named origin is granted: POST and GET, the headers asked for', async () => {
    for (const origin of [APP, 'http://localhost:5173']) {
      const answer = await preflight(server, origin);
      expect(answer.status).toBe(204);
      expect(answer.headers).toMatchObject({
        'access-control-allow-origin': origin,
        'access-control-allow-methods': 'GET, POST',
        'access-control-allow-headers': 'authorization,content-type',
        'access-control-max-age': '600',
        vary: 'Origin',
      });
    }
  });

  it('the request after it may be read by the page, x-request-id included', async () => {
    const answer = await post(server, APP);
    expect(answer.status).toBe(200);
    expect(answer.headers).toMatchObject({
      'access-control-allow-origin': APP,
      'access-control-expose-headers': 'x-request-id',
      vary: 'Origin',
    });
  });

  it('another origin is granted nothing', async () => {
    const answer = await preflight(server, 'https://evil.example');
    expect(answer.status).not.toBe(204);
    expect(corsHeadersOf(answer.headers)).toEqual([]);
    expect(corsHeadersOf((await post(server, 'https://evil.example')).headers)).toEqual([]);
  });

  it('a named origin still cannot send a simple (CSRF) request: text/plain is 415', async () => {
    expect((await post(server, APP, 'text/plain')).status).toBe(415);
  });
});

describe('CORS_ORIGINS=*', () => {
  it('grants every origin, by name of none', async () => {
    const server = await startServer({ CORS_ORIGINS: '*' });
    try {
      const answer = await preflight(server, 'https://anyone.example');
      expect(answer.status).toBe(204);
      expect(answer.headers['access-control-allow-origin']).toBe('*');
      const request = await post(server, 'https://anyone.example');
      expect(request.headers['access-control-allow-origin']).toBe('*');
    } finally {
      await server.close();
    }
  });
});
