import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { MeDocument } from './generated/graphql';
import { registerUser, type Registered } from './support/accounts';
import {
  asStartUp,
  bearer,
  scratchDatabase,
  scratchFolder,
  startServer,
  TEST_JWT_SECRET,
  type TestServer,
} from './support/server';

const ROOT = resolve(__dirname, '..');
const TSX = require.resolve('tsx', { paths: [ROOT] });

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

describe('the account-api command line', () => {
  const folder = scratchFolder();
  const scratch = scratchDatabase(folder.path);
  const database = scratch.url;
  afterAll(async () => {
    await scratch.drop();
    folder.remove();
  });

  /** `npx account-api ...args`, run from source the way the built bin runs, in the scratch folder. */
  const cli = (...args: string[]): Promise<Outcome> => asStartUp(database, () => run(...args));
  const run = (...args: string[]): Promise<Outcome> =>
    new Promise((done) => {
      execFile(
        process.execPath,
        ['--import', TSX, join(ROOT, 'src', 'cli.ts'), ...args],
        {
          cwd: folder.path,
          env: {
            PATH: process.env.PATH ?? '',
            TSX_TSCONFIG_PATH: join(ROOT, 'tsconfig.json'),
            DATABASE_URL: database,
            JWT_SECRET: TEST_JWT_SECRET,
          },
        },
        (error, stdout, stderr) =>
          done({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
      );
    });

  it('migrate applies the migrations once, then says the database is up to date', async () => {
    const first = await cli('migrate');
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).toMatch(/^applied Migration\d{14}_\w+/);
    const second = await cli('migrate');
    expect(second).toEqual({ code: 0, stdout: 'the database is up to date\n', stderr: '' });
  });

  describe('promote and demote', () => {
    let server: TestServer;
    let ada: Registered;
    let bob: Registered;
    beforeAll(async () => {
      server = await startServer({ DATABASE_URL: database });
      ada = await registerUser(server);
      bob = await registerUser(server);
    });
    afterAll(() => server.close());

    const roleOf = async (user: Registered) => {
      const { body } = await server.request(MeDocument, {}, bearer(user.token));
      return body.data?.me?.__typename === 'User' ? body.data.me.role : body.data?.me?.__typename;
    };

    it('promote by email in any case: the running server sees the new role on the next request', async () => {
      const outcome = await cli('promote', ada.email.toUpperCase());
      expect(outcome).toEqual({
        code: 0,
        stdout: `${ada.email} (account ${ada.account}) is now ADMIN\n`,
        stderr: '',
      });
      expect(await roleOf(ada)).toBe('ADMIN');
    });

    it('the last admin cannot be demoted; after promoting another, they can', async () => {
      const refused = await cli('demote', ada.account);
      expect(refused).toEqual({
        code: 1,
        stdout: '',
        stderr: `account-api: ${ada.email} is the last admin; promote another user first\n`,
      });
      expect(await roleOf(ada)).toBe('ADMIN');

      expect((await cli('promote', bob.account)).code).toBe(0);
      const demoted = await cli('demote', ada.account);
      expect(demoted.stdout).toBe(`${ada.email} (account ${ada.account}) is now USER\n`);
      expect(await roleOf(ada)).toBe('USER');
      expect(await roleOf(bob)).toBe('ADMIN');
    });

    it('promoting an admin again changes nothing and says so', async () => {
      const again = await cli('promote', bob.email);
      expect(again).toEqual({
        code: 0,
        stdout: `${bob.email} (account ${bob.account}) was already ADMIN\n`,
        stderr: '',
      });
    });

    it('an unknown user is one line on stderr and exit status 1', async () => {
      expect(await cli('promote', 'nobody@example.com')).toEqual({
        code: 1,
        stdout: '',
        stderr: 'account-api: no user with email or account "nobody@example.com"\n',
      });
      expect((await cli('demote')).stderr).toBe(
        'account-api: name the user by email or account number\n',
      );
    });
  });

  it('schema prints the committed schema.graphql, and --out writes it', async () => {
    const committed = readFileSync(join(ROOT, 'schema.graphql'), 'utf8');
    expect(await cli('schema')).toEqual({ code: 0, stdout: committed, stderr: '' });
    const target = join(folder.path, 'out.graphql');
    expect((await cli('schema', '--out', target)).stdout).toBe(`wrote ${target}\n`);
    expect(readFileSync(target, 'utf8')).toBe(committed);
    const other = join(folder.path, 'other.graphql');
    expect(await cli('schema', `--out=${other}`)).toEqual({
      code: 0,
      stdout: `wrote ${other}\n`,
      stderr: '',
    });
    expect(readFileSync(other, 'utf8')).toBe(committed);
    expect(await cli('schema', '--output', target)).toEqual({
      code: 1,
      stdout: '',
      stderr: 'account-api: schema takes only --out FILE; got "--output"\n',
    });
  });

  it('help lists every command; an unknown command is exit status 2 with the usage', async () => {
    const help = await cli('help');
    for (const command of ['start', 'migrate', 'promote', 'demote', 'schema'])
      expect(help.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    const unknown = await cli('frobnicate');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^account-api: unknown command "frobnicate"\n\nUsage:/);
  });
});
