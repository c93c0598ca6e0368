import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { scratchFolder } from './support/server';

const ROOT = resolve(__dirname, '..');
const TSX = require.resolve('tsx', { paths: [ROOT] });

/** Runs src/main.ts as `npm start` would, in `cwd`, with exactly `env` (plus PATH). */
function launch(cwd: string, env: Record<string, string>): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, ['--import', TSX, join(ROOT, 'src', 'main.ts')], {
    cwd,
    env: { PATH: process.env.PATH ?? '', TSX_TSCONFIG_PATH: join(ROOT, 'tsconfig.json'), ...env },
  });
}

function collect(child: ChildProcessWithoutNullStreams): {
  stdout: () => string;
  stderr: () => string;
} {
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  return { stdout: () => out, stderr: () => err };
}

/** The port from the server's "listening" log line. */
function listeningPort(
  child: ChildProcessWithoutNullStreams,
  output: ReturnType<typeof collect>,
): Promise<number> {
  return new Promise((found, fail) => {
    const timer = setTimeout(() => fail(new Error(`no listening line: ${output.stderr()}`)), 30000);
    child.stdout.on('data', () => {
      const match = /"port":(\d+)/.exec(output.stdout());
      if (match) {
        clearTimeout(timer);
        found(Number(match[1]));
      }
    });
  });
}

/** Registers `name` (email name@example.com, password "name machine 1") with the child server. */
async function register(port: number, name: string): Promise<unknown> {
  const lower = name.toLowerCase();
  const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      query: `mutation { register(input: { username: "${name}", email: "${lower}@example.com", password: "${lower} machine 1" }) { __typename } }`,
    }),
  });
  return response.json();
}

const exited = (child: ChildProcessWithoutNullStreams) =>
  new Promise<number | null>((done) => child.on('exit', (code) => done(code)));

describe('start-up', () => {
  const folder = scratchFolder();
  afterAll(() => folder.remove());

  it('with no settings at all: SQLite under ./data, a kept secret, a working API, a clean SIGTERM', async () => {
    const child = launch(folder.path, { PORT: '0' });
    const output = collect(child);
    const port = await listeningPort(child, output);
    try {
      const health = await fetch(`http://127.0.0.1:${port}/health`);
      expect(health.status).toBe(200);
      expect(await register(port, 'Fresh')).toEqual({
        data: { register: { __typename: 'AuthPayload' } },
        extensions: { infocode: 1000, info: 'OK' },
      });
      expect(existsSync(join(folder.path, 'data', 'accounts.sqlite'))).toBe(true);
      // Readable by their owner only: the secret, the database (hashes, emails) and its folder.
      for (const name of ['jwt-secret', 'accounts.sqlite', 'accounts.sqlite-wal', '']) {
        expect([name, statSync(join(folder.path, 'data', name)).mode & 0o077]).toEqual([name, 0]);
      }
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited(child)).toBe(0);
    expect(output.stdout()).not.toMatch(/fresh machine 1|\$argon2id\$|eyJ/);
    expect(output.stdout()).toContain(`listening on http://localhost:${port}/graphql`);
  });

  it('MIKRO_ORM_* variables and a .env file change nothing: no query log, DATABASE_URL holds', async () => {
    const cwd = join(folder.path, 'dotenv');
    mkdirSync(cwd);
    writeFileSync(join(cwd, '.env'), 'MIKRO_ORM_DEBUG=true\n');
    const child = launch(cwd, {
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: 'sqlite:chosen.sqlite',
      MIKRO_ORM_DB_NAME: 'other.sqlite',
      MIKRO_ORM_COLORS: 'true',
    });
    const output = collect(child);
    const port = await listeningPort(child, output);
    try {
      expect(await register(port, 'Dotenv')).toMatchObject({
        data: { register: { __typename: 'AuthPayload' } },
      });
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited(child)).toBe(0);
    expect(output.stdout()).toContain(`listening on http://127.0.0.1:${port}/graphql`);
    expect(existsSync(join(cwd, 'chosen.sqlite'))).toBe(true);
    expect(existsSync(join(cwd, 'other.sqlite'))).toBe(false);
    expect(output.stdout() + output.stderr()).not.toMatch(/\[query\]|\$argon2id\$|dotenv@example/);
  });

  it('SIGTERM lets a request in flight finish, refuses new connections, then exits 0', async () => {
    const child = launch(folder.path, { PORT: '0' });
    const output = collect(child);
    const port = await listeningPort(child, output);
    const body = JSON.stringify({
      query:
        'mutation { register(input: { username: "Late", email: "late@example.com", password: "in flight 123" }) { __typename } }',
    });
    // Half the body now, SIGTERM, the rest later: the request is in flight across the signal.
    const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const request = httpRequest(
        {
          host: '127.0.0.1',
          port,
          path: '/graphql',
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
          },
        },
        (response) => {
          let text = '';
          response.on('data', (chunk: Buffer) => (text += chunk.toString()));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
        },
      );
      request.on('error', reject);
      request.write(body.slice(0, 40));
      setTimeout(() => {
        child.kill('SIGTERM');
        setTimeout(() => request.end(body.slice(40)), 300);
      }, 200);
    });
    const { status, text } = await answer;
    expect(status).toBe(200);
    expect(JSON.parse(text)).toEqual({
      data: { register: { __typename: 'AuthPayload' } },
      extensions: { infocode: 1000, info: 'OK' },
    });
    expect(await exited(child)).toBe(0);
    await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
    expect(output.stdout()).toContain('shutting down: finishing requests in flight');
  });

  it('with SHUTDOWN_DELAY, SIGTERM makes /ready 503 draining while requests are still served', async () => {
    const child = launch(folder.path, { PORT: '0', SHUTDOWN_DELAY: '2s' });
    const output = collect(child);
    const port = await listeningPort(child, output);
    const ready = async () => {
      const response = await fetch(`http://127.0.0.1:${port}/ready`);
      return { status: response.status, body: await response.json() };
    };
    expect(await ready()).toEqual({ status: 200, body: { status: 'ok', database: 'up' } });
    const exit = exited(child);
    child.kill('SIGTERM');
    await new Promise((wait) => setTimeout(wait, 300));
    expect(await ready()).toEqual({ status: 503, body: { status: 'draining', database: 'up' } });
    const answer = await fetch(`http://127.0.0.1:${port}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(await answer.json()).toEqual({
      data: { __typename: 'Query' },
      extensions: { infocode: 1000, info: 'OK' },
    });
    expect(await exit).toBe(0);
    await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
  });

  it('a second signal during SHUTDOWN_DELAY exits at once, with status 1', async () => {
    const child = launch(folder.path, { PORT: '0', SHUTDOWN_DELAY: '1h' });
    const output = collect(child);
    const port = await listeningPort(child, output);
    const exit = exited(child);
    child.kill('SIGINT');
    await new Promise((wait) => setTimeout(wait, 300));
    expect((await fetch(`http://127.0.0.1:${port}/ready`)).status).toBe(503);
    child.kill('SIGINT');
    // Bounded: a server that ignores the second signal is killed, and the test fails on 'killed'.
    const killer = setTimeout(() => child.kill('SIGKILL'), 10000);
    const code = await exit;
    clearTimeout(killer);
    expect(code).toBe(1);
    expect(output.stdout()).toContain('second signal: exiting without finishing requests');
  });

  /** Starts the server with `env`; it must exit with status 1 and print exactly one line. */
  async function stderrOfRefusedStart(env: Record<string, string>): Promise<string> {
    const child = launch(folder.path, { PORT: '0', ...env });
    const output = collect(child);
    expect(await exited(child)).toBe(1);
    const lines = output.stderr().trim().split('\n');
    expect(lines).toHaveLength(1);
    return lines[0]!;
  }

  it('a malformed setting stops start-up with one line naming it', async () => {
    expect(await stderrOfRefusedStart({ ACCESS_TOKEN_TTL: 'soon' })).toMatch(
      /^account-api: ACCESS_TOKEN_TTL must be a duration/,
    );
  });

  it.each([
    [
      'in production without JWT_SECRET, naming the variable',
      { NODE_ENV: 'production' },
      'account-api: JWT_SECRET is required when NODE_ENV=production (at least 32 bytes)',
    ],
    [
      'a LOG_LEVEL pino does not know, naming LOG_LEVEL',
      { LOG_LEVEL: 'verbose' },
      'account-api: LOG_LEVEL must be one of trace, debug, info, warn, error, fatal, silent; got "verbose"',
    ],
    [
      'a rate-limit window longer than Node can time (it would count nothing)',
      { RATE_LIMIT_REGISTER_ADDRESS: '10/30d' },
      'account-api: RATE_LIMIT_REGISTER_ADDRESS\'s window must be at most 24d; got "10/30d"',
    ],
    [
      'a SHUTDOWN_DELAY over an hour',
      { SHUTDOWN_DELAY: '30d' },
      'account-api: SHUTDOWN_DELAY must be at most 1h; got "30d"',
    ],
    [
      'a MAIL_FROM with no address (mail would go out with an empty sender)',
      { MAIL_FROM: 'Accounts' },
      'account-api: MAIL_FROM must be one address, as "Name <accounts@example.com>" or "accounts@example.com"',
    ],
    [
      'a CORS_ORIGINS entry that is not an origin as a browser sends it',
      { CORS_ORIGINS: 'http://localhost:5173, https://app.example/' },
      'account-api: CORS_ORIGINS must be * or origins such as https://app.example,http://localhost:5173 (scheme, host and port only, as a browser writes them); got "https://app.example/"',
    ],
  ])('%s stops start-up with exactly this one line', async (_name, env, line) => {
    expect(await stderrOfRefusedStart(env)).toBe(line);
  });

  it('a PORT already in use stops start-up with one line naming PORT, not a stack trace', async () => {
    const holder = createServer();
    await new Promise<void>((listening) => holder.listen(0, '127.0.0.1', listening));
    const { port } = holder.address() as AddressInfo;
    try {
      expect(await stderrOfRefusedStart({ PORT: String(port), HOST: '127.0.0.1' })).toBe(
        `account-api: could not start: PORT ${port} is already in use on HOST 127.0.0.1`,
      );
    } finally {
      holder.close();
    }
  });

  it('a HOST that names no address stops start-up with one line naming HOST', async () => {
    // .invalid never resolves (RFC 6761): the lookup fails with ENOTFOUND, or EAI_AGAIN offline.
    expect(await stderrOfRefusedStart({ HOST: 'no-such-host.invalid' })).toBe(
      'account-api: could not start: HOST "no-such-host.invalid" does not resolve to an address',
    );
  });
});
