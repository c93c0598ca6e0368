/**
 * CORS_ORIGINS, read by a real browser: a page of a named origin (another port on loopback) calls
 * the API with a token in Authorization, as an Apollo Client app served from its own dev server
 * does; a page of any other origin cannot read an answer.
 */
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { type Browser, chromium } from 'playwright-core';
import { startServer, type TestServer } from './support/server';

const CHROMIUM = '/usr/bin/chromium'; // Debian's package; .ci/run installs it

/** What the page's script reports: the answers it read, or the error fetch threw. */
interface Outcome {
  registered?: string;
  me?: string;
  requestId?: string | null;
  error?: string;
}

let page: Server;
let pageOrigin: string;
let browser: Browser;
beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`no browser at ${CHROMIUM}: apt-get install chromium`);
  page = createServer((_request, response) => {
    response.setHeader('content-type', 'text/html; charset=utf-8');
    response.end('<!doctype html><title>app</title>');
  });
  await new Promise<void>((listening) => page.listen(0, '127.0.0.1', listening));
  pageOrigin = `http://127.0.0.1:${(page.address() as AddressInfo).port}`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
});
afterAll(async () => {
  await browser?.close();
  await new Promise((closed) => page?.close(closed));
});

/** Opens the app's page and, from it, registers and asks `me` with the token. */
async function fromThePage(api: TestServer): Promise<Outcome> {
  const tab = await browser.newPage();
  try {
    await tab.goto(pageOrigin);
    return await tab.evaluate(async (url): Promise<Outcome> => {
      interface Answer {
        data: {
          register?: { __typename: string; accessToken?: string };
          me?: { __typename: string };
        };
      }
      const call = async (query: string, token?: string) => {
        const response = await fetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(token ? { authorization: `Bearer ${token}` } : {}),
          },
          body: JSON.stringify({ query }),
        });
        const body = (await response.json()) as Answer;
        return { data: body.data, requestId: response.headers.get('x-request-id') };
      };
      try {
        const { data } = await call(
          'mutation { register(input: { username: "Page", email: "page@example.com", password: "from the page 1" }) { __typename ... on AuthPayload { accessToken } } }',
        );
        const me = await call('{ me { __typename } }', data.register?.accessToken);
        return {
          registered: data.register?.__typename,
          me: me.data.me?.__typename,
          requestId: me.requestId,
        };
      } catch (error) {
        return { error: String(error) };
      }
    }, api.url);
  } finally {
    await tab.close();
  }
}

it('a page of a named origin registers and reads `me` with its token', async () => {
  const api = await startServer({ CORS_ORIGINS: pageOrigin });
  try {
    const outcome = await fromThePage(api);
    expect(outcome).toEqual({
      registered: 'AuthPayload',
      me: 'User',
      requestId: expect.stringMatching(/^[0-9a-f-]{36}$/) as unknown,
    });
  } finally {
    await api.close();
  }
});

it('without CORS_ORIGINS the browser keeps every answer from that page', async () => {
  const api = await startServer();
  try {
    expect(await fromThePage(api)).toEqual({ error: 'TypeError: Failed to fetch' });
  } finally {
    await api.close();
  }
});
