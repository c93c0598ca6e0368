import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Locator, type Page } from 'playwright-core';
import { PLAYGROUND_DIR, PLAYGROUND_INDEX } from '../src/http/playground';
import { startServer, type TestServer } from './support/server';
import { eventually } from './support/wait';

// Debian's chromium (`apt-get install -y chromium`); .ci/run installs it. Missing is a failure.
const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOT = join(__dirname, '..', 'test-output', 'playground.png');

/** An editor's text with every space and line break removed (Monaco wraps long lines). */
async function editorText(editor: Locator): Promise<string> {
  const lines = await editor.locator('.view-line').allTextContents();
  return lines.join('').replace(/\s/g, '');
}

/** Waits until the editor's text (without spaces) satisfies `done`, and returns it. */
async function waitForText(editor: Locator, done: (text: string) => boolean): Promise<string> {
  let text = '';
  const shown = async () => done((text = await editorText(editor)));
  if (!(await eventually(shown, { withinMs: 15_000, everyMs: 100 }))) {
    throw new Error(`the editor still shows: ${text}`);
  }
  return text;
}

/**
 * Replaces the whole content of the Variables or Headers editor by pasting, as a person would.
 * (Text typed into Monaco goes through its auto-closing of brackets and quotes, which gave
 * stray closing characters now and then; a paste is inserted as it is.)
 */
async function pasteIntoEditorTool(page: Page, tool: 'Variables' | 'Headers', text: string) {
  await page.locator('.graphiql-editor-tools button', { hasText: tool }).click();
  const editor = page.locator('.graphiql-editor-tool .monaco-editor').filter({ visible: true });
  await page.evaluate(`navigator.clipboard.writeText(${JSON.stringify(text)})`);
  await editor.click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.press('ControlOrMeta+V');
  const pasted = text.replace(/\s/g, '');
  await waitForText(editor, (shown) => shown === pasted);
}

describe('GraphiQL playground in a browser', () => {
  let server: TestServer;
  let browser: Browser;
  beforeAll(async () => {
    if (!existsSync(join(PLAYGROUND_DIR, PLAYGROUND_INDEX))) {
      throw new Error('the playground is not built: run `npm run build:playground`');
    }
    if (!existsSync(CHROMIUM)) {
      throw new Error(`no browser at ${CHROMIUM}: run \`apt-get install -y chromium\``);
    }
    server = await startServer();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-quic',
        '--no-first-run',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('registers, then runs `me` with the token pasted into the headers, loading nothing from elsewhere', async () => {
    const origin = new URL(server.url).origin;
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
    const elsewhere: string[] = [];
    const failures: string[] = [];
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (new URL(url).origin === origin) return route.continue();
      elsewhere.push(url);
      return route.abort('blockedbyclient');
    });
    const page = await context.newPage();
    page.on('response', (response) => {
      if (response.status() >= 400) failures.push(`${response.status()} ${response.url()}`);
    });
    page.on('console', (message) => {
      if (message.type() === 'error') failures.push(`console: ${message.text()}`);
    });
    page.on('pageerror', (error) => failures.push(`page: ${error.message}`));

    try {
      await page.goto(server.url, { waitUntil: 'load' });
      expect(await page.title()).toBe('Account API playground');
      const tabs = await page.locator('.graphiql-tab-button').allTextContents();
      expect(tabs).toEqual([
        'Register',
        'Login',
        'Me',
        'UpdateProfile',
        'RequestPasswordReset',
        'InfoCodes',
      ]);
      // The headers editor is open from the start, with the Authorization header to fill in.
      const headersTool = page.getByRole('region', { name: 'Headers' });
      await headersTool.locator('.view-line', { hasText: 'Authorization' }).waitFor();
      // Introspection got through the server's depth limit: the docs know the schema.
      const docs = page.getByRole('button', { name: /Documentation Explorer/ });
      await docs.click();
      await page.locator('.graphiql-plugin', { hasText: 'mutation: Mutation' }).waitFor();
      await docs.click();

      const email = `ada-${randomUUID().slice(0, 8)}@example.com`;
      await pasteIntoEditorTool(
        page,
        'Variables',
        JSON.stringify(
          { input: { username: 'Ada', email, password: 'analytical engine' } },
          null,
          2,
        ),
      );
      await page.locator('.graphiql-execute-button').click();
      const response = page.locator('.result-window');
      const registered = await waitForText(response, (text) => text.includes('"info":'));
      expect(registered).toContain('"__typename":"AuthPayload"');
      const token = /"accessToken":"([\w-]+\.[\w-]+\.[\w-]+)"/.exec(registered)?.[1];
      expect(token).toBeDefined();

      await page.locator('.graphiql-tab-button', { hasText: /^Me$/ }).click();
      await pasteIntoEditorTool(
        page,
        'Headers',
        JSON.stringify({ Authorization: `Bearer ${token}` }, null, 2),
      );
      await page.locator('.graphiql-execute-button').click();
      const me = await waitForText(response, (text) => text.includes('"me":'));
      expect(me).toContain('"__typename":"User"');
      expect(me).toContain(`"email":"${email}"`);
      expect(me).toContain('"username":"Ada"');
      expect(me).toContain('"role":"USER"');
      expect(me).toContain('"infocode":1000');
    } finally {
      mkdirSync(join(SCREENSHOT, '..'), { recursive: true });
      await page.screenshot({ path: SCREENSHOT });
      await context.close();
    }
    expect(elsewhere).toEqual([]);
    // Every file of the page loaded, introspection passed the depth limit, nothing threw, and
    // nothing broke the page's Content-Security-Policy (the browser reports that as an error).
    expect(failures).toEqual([]);
  });
});
