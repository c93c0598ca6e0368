import { execFile } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  asStartUp,
  scratchDatabase,
  scratchFolder,
  startServer,
  TEST_JWT_SECRET,
  type TestServer,
} from './support/server';

// The README's shell examples, run verbatim in a fresh shell, as a newcomer would paste them.
const ROOT = resolve(__dirname, '..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** The first ```sh block after a heading. */
function shellBlock(heading: string): string {
  const section = README.slice(README.indexOf(`\n## ${heading}\n`));
  const match = /```sh\n([\s\S]*?)```/.exec(section);
  if (!match) throw new Error(`no sh block under "${heading}"`);
  return match[1]!;
}

function bash(
  script: string,
  cwd: string,
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      'bash',
      ['--norc', '--noprofile', '-c', script],
      { cwd, env },
      (error, stdout, stderr) =>
        done({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('the README, pasted into a shell', () => {
  const folder = scratchFolder();
  const scratch = scratchDatabase(folder.path);
  const database = scratch.url;
  let server: TestServer;
  beforeAll(async () => {
    // No SMTP_URL: mail goes to data/outbox/ of the folder the README's commands run in.
    server = await startServer({
      DATABASE_URL: database,
      MAIL_OUTBOX: join(folder.path, 'data', 'outbox'),
    });
  });
  afterAll(async () => {
    await server.close();
    await scratch.drop();
    folder.remove();
  });

  /** Runs a section's sh block against the test server; every answer must be 1000 OK. */
  async function runExamples(heading: string) {
    const script = shellBlock(heading).replaceAll('localhost:4000', new URL(server.url).host);
    const { code, stdout, stderr } = await bash(script, folder.path, {
      PATH: process.env.PATH ?? '',
    });
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const answers = stdout
      .split(/(?<=\})(?=\{)|\n/)
      .filter(Boolean)
      .map((text) => JSON.parse(text) as { data: Record<string, unknown>; extensions: unknown });
    expect(answers.map((answer) => answer.extensions)).toEqual(
      answers.map(() => ({ infocode: 1000, info: 'OK' })),
    );
    return answers;
  }

  it('shows the Apollo Client examples exactly as they are in examples/ (and tested)', () => {
    const client = readFileSync(join(ROOT, 'examples', 'apollo-client.ts'), 'utf8');
    const shown = /## Typed clients[\s\S]*?```ts\n([\s\S]*?)```/.exec(README)![1]!;
    expect(shown.length).toBeGreaterThan(1000);
    expect(client.startsWith(shown)).toBe(true);
    const refresh = readFileSync(join(ROOT, 'examples', 'refresh-on-1009.ts'), 'utf8');
    expect(README).toContain('```ts\n' + refresh + '```');
  });

  it('the example operations register, log in, read and change the profile, list the codes', async () => {
    const answers = await runExamples('Example operations');
    expect(answers.map((answer) => Object.keys(answer.data)[0])).toEqual([
      'register',
      'me',
      'updateProfile',
      'infoCodes',
    ]);
    expect(answers[1]!.data.me).toMatchObject({ __typename: 'User', email: 'ada@example.com' });
    expect(answers[2]!.data.updateProfile).toEqual({
      __typename: 'User',
      introduction: 'First programmer.',
      avatar: null,
    });
  });

  it('the email examples verify the address from the outbox, then reset the password', async () => {
    // Runs after the example operations, which registered ada@example.com.
    const answers = await runExamples('Email: verification and password reset');
    expect(answers.map((answer) => answer.data)).toEqual([
      { verifyEmail: { __typename: 'User', emailVerified: true } },
      { requestPasswordReset: { accepted: true } },
      {
        resetPassword: {
          __typename: 'AuthPayload',
          accessToken: expect.any(String) as unknown,
          refreshToken: expect.any(String) as unknown,
        },
      },
    ]);
  });

  it('the command-line examples do what their comments say', async () => {
    // `npx account-api` finds the bin of the project it runs in; `npm test` builds dist/ first.
    expect(existsSync(join(ROOT, 'dist', 'cli.js'))).toBe(true);
    const written = join(ROOT, 'my-schema.graphql');
    const outcomes = [];
    try {
      for (const line of shellBlock('Command line').trim().split('\n')) {
        outcomes.push(
          await asStartUp(database, () =>
            bash(line, ROOT, {
              PATH: process.env.PATH ?? '',
              HOME: process.env.HOME ?? '',
              DATABASE_URL: database,
              JWT_SECRET: TEST_JWT_SECRET,
            }),
          ),
        );
      }
      const [help, migrate, promote, demote, schema] = outcomes;
      expect(help).toMatchObject({ code: 0 });
      expect(help!.stdout).toMatch(/^Usage: account-api/);
      expect(migrate).toMatchObject({ code: 0, stdout: 'the database is up to date\n' });
      expect(promote).toMatchObject({ code: 0 });
      expect(promote!.stdout).toMatch(/^ada@example\.com \(account \d{10}\) is now ADMIN\n$/);
      expect(demote).toMatchObject({
        code: 1,
        stdout: '',
      });
      expect(demote!.stderr).toContain(
        'account-api: ada@example.com is the last admin; promote another user first\n',
      );
      expect(schema!.code).toBe(0);
      expect(readFileSync(written, 'utf8')).toBe(
        readFileSync(join(ROOT, 'schema.graphql'), 'utf8'),
      );
    } finally {
      rmSync(written, { force: true });
    }
    // Five `npx` start-ups: about 11 s on an idle machine, 43 s seen beside the other test
    // workers, too close to the 60 s default.
  }, 180_000);
});
