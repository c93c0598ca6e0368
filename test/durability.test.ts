import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join, resolve } from 'node:path';
import { print } from 'graphql';
import {
  LoginDocument,
  type LoginMutation,
  MeDocument,
  type MeQuery,
  RegisterDocument,
  type RegisterMutation,
} from './generated/graphql';
import { scratchFolder } from './support/server';

/*
 * An answered success is durable: the real entry point (src/main.ts under tsx) takes a burst of
 * registrations and is SIGKILLed in the middle of it, with no chance to drain or close the
 * database. Restarted on the same SQLite file, every registration that was answered with an
 * AuthPayload before the kill can log in with its password.
 */

const ROOT = resolve(__dirname, '..');
const TSX = require.resolve('tsx', { paths: [ROOT] });

const BURST = 60;
const IN_FLIGHT = 6;
const KILL_AFTER = 20;

interface Running {
  child: ChildProcessWithoutNullStreams;
  url: string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const started: ChildProcessWithoutNullStreams[] = [];

/** Runs src/main.ts as `npm start` would, on `file`, and waits for its "listening" line. */
async function launch(file: string): Promise<Running> {
  const child = spawn(process.execPath, ['--import', TSX, join(ROOT, 'src', 'main.ts')], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      TSX_TSCONFIG_PATH: join(ROOT, 'tsconfig.json'),
      DATABASE_URL: `sqlite:${file}`,
      HOST: '127.0.0.1',
      PORT: '0',
      RATE_LIMIT: 'off',
      LOG_LEVEL: 'info',
    },
  });
  started.push(child);
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.on('exit', (code, signal) => done({ code, signal })),
  );
  const port = await new Promise<number>((found, fail) => {
    const timer = setTimeout(() => fail(new Error(`no listening line; stderr: ${err}`)), 30000);
    const look = (): void => {
      const match = /"port":(\d+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        found(Number(match[1]));
      }
    };
    child.stdout.on('data', look);
    void exited.then(() => {
      clearTimeout(timer);
      fail(new Error(`the server exited before listening; stderr: ${err}`));
    });
  });
  return { child, url: `http://127.0.0.1:${port}/graphql`, stderr: () => err, exited };
}

async function graphql<TData>(
  url: string,
  query: string,
  variables: unknown,
  headers: Record<string, string> = {},
): Promise<{ data?: TData; extensions?: unknown }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as { data?: TData; extensions?: unknown };
}

interface Answered {
  email: string;
  password: string;
  id: string;
  account: string;
  token: string;
}

describe('durability of answered registrations across a SIGKILL', () => {
  const folder = scratchFolder();
  const file = join(folder.path, 'accounts.sqlite');
  afterAll(() => {
    for (const child of started)
      if (child.exitCode === null && !child.killed) child.kill('SIGKILL');
    folder.remove();
  });

  it('every registration answered with AuthPayload before the kill can log in after a restart', async () => {
    const first = await launch(file);

    // The burst: IN_FLIGHT workers take the next registration until all are sent or the server
    // is killed. The kill comes right after the KILL_AFTER-th AuthPayload arrives.
    const answered: Answered[] = [];
    let killed = false;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (!killed && next < BURST) {
        const index = next++;
        const tag = randomUUID().slice(0, 8);
        const input = {
          username: `Burst ${index}`,
          email: `burst-${index}-${tag}@example.com`,
          password: `burst password ${tag}`,
        };
        try {
          const body = await graphql<RegisterMutation>(first.url, print(RegisterDocument), {
            input,
          });
          const result = body.data?.register;
          if (result?.__typename !== 'AuthPayload') {
            throw new Error(`registration ${index} was refused: ${JSON.stringify(body)}`);
          }
          answered.push({
            email: input.email,
            password: input.password,
            id: result.user.id,
            account: result.user.account,
            token: result.accessToken,
          });
          if (answered.length >= KILL_AFTER && !killed) {
            killed = true;
            first.child.kill('SIGKILL');
          }
        } catch (error) {
          // In flight when the process died: never answered, so nothing was promised.
          if (!killed) throw error;
        }
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker));

    expect(killed).toBe(true);
    expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect(answered.length).toBeGreaterThanOrEqual(KILL_AFTER);
    expect(answered.length).toBeLessThan(BURST); // the kill came in the middle of the burst

    // Restart on the same file: it opens (recovering the WAL) and answers.
    const second = await launch(file);
    try {
      const health = await fetch(second.url.replace(/\/graphql$/, '/health'));
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ status: 'ok' });

      for (const user of answered) {
        const byAccount = await graphql<LoginMutation>(second.url, print(LoginDocument), {
          input: { account: user.account, password: user.password },
        });
        expect(byAccount.data?.login).toMatchObject({
          __typename: 'AuthPayload',
          user: { id: user.id, account: user.account, email: user.email },
        });
        const byEmail = await graphql<LoginMutation>(second.url, print(LoginDocument), {
          input: { email: user.email, password: user.password },
        });
        expect(byEmail.data?.login).toMatchObject({
          __typename: 'AuthPayload',
          user: { id: user.id },
        });
        // The secret is kept beside the database, so the token handed out before the kill works.
        const me = await graphql<MeQuery>(
          second.url,
          print(MeDocument),
          {},
          {
            authorization: `Bearer ${user.token}`,
          },
        );
        expect(me.data?.me).toMatchObject({ __typename: 'User', id: user.id });
      }

      // And the database still takes writes.
      const fresh = await graphql<RegisterMutation>(second.url, print(RegisterDocument), {
        input: {
          username: 'After Restart',
          email: `after-${randomUUID().slice(0, 8)}@example.com`,
          password: 'after restart password',
        },
      });
      expect(fresh.data?.register.__typename).toBe('AuthPayload');
    } finally {
      second.child.kill('SIGTERM');
    }
    expect(await second.exited).toEqual({ code: 0, signal: null });
  }, 90_000);
});
