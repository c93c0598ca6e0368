import { startServer, type TestServer } from './support/server';

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

  it('a browser opening /graphql gets a playground that loads nothing from elsewhere', async () => {
    const response = await fetch(server.url, {
      headers: { accept: 'text/html,application/xhtml+xml' },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/text\/html/);
    const html = await response.text();
    expect(html).toContain('<title>Account API playground</title>');
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|@import|url\(/i);
    expect(html).not.toMatch(/https?:\/\/(?!localhost)[a-z]/i);
    for (const example of ['register', 'login', 'me', 'updateProfile', 'infoCodes']) {
      expect(html).toContain(`<option value="${example}">`);
    }
  });

  it('every response names its request id', async () => {
    const response = await fetch(server.url.replace('/graphql', '/health'));
    expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('production posture', () => {
  it('serves no playground and no introspection unless asked to', async () => {
    const server = await startServer({ NODE_ENV: 'production' });
    try {
      const page = await fetch(server.url, { headers: { accept: 'text/html' } });
      expect(page.headers.get('content-type') ?? '').not.toMatch(/text\/html/);
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
