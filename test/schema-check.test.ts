import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { scratchFolder } from './support/server';

const ROOT = resolve(__dirname, '..');
const TSX = require.resolve('tsx', { paths: [ROOT] });
const SCHEMA = join(ROOT, 'schema.graphql');

/** `npm run schema:check`, optionally against another committed file. */
const check = (...args: string[]): Promise<{ code: number; stdout: string }> =>
  new Promise((done) => {
    execFile(
      process.execPath,
      ['--import', TSX, join(ROOT, 'scripts', 'check-schema.ts'), ...args],
      {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? '', TSX_TSCONFIG_PATH: join(ROOT, 'tsconfig.json') },
      },
      (error, stdout) => done({ code: error ? Number(error.code ?? 1) : 0, stdout }),
    );
  });

describe('npm run schema:check', () => {
  const folder = scratchFolder();
  afterAll(() => folder.remove());

  it('passes while schema.graphql is the schema the code builds', async () => {
    expect(await check()).toEqual({
      code: 0,
      stdout: `${SCHEMA} matches the schema the code builds\n`,
    });
  });

  it('fails on any difference and names a removed field as breaking', async () => {
    // As if the committed contract still had a field the code no longer serves, and lacked one
    // the code has just added.
    const committed = readFileSync(SCHEMA, 'utf8')
      .replace('type Query {', 'type Query {\n  legacyCount: Int!')
      .replace(/\n {2}"""[^"]*"""\n {2}infoCodes[^\n]*/, '');
    const file = join(folder.path, 'schema.graphql');
    writeFileSync(file, committed);

    const { code, stdout } = await check('--committed', file);
    expect(code).toBe(1);
    expect(stdout).toContain(`${file} differs from the schema the code builds:`);
    expect(stdout).toMatch(
      /^ {2}BREAKING {5}Field 'legacyCount' was removed from object type 'Query'$/m,
    );
    expect(stdout).toMatch(
      /^ {2}NON_BREAKING Field 'infoCodes' was added to object type 'Query'$/m,
    );
    expect(stdout.indexOf('BREAKING ')).toBeLessThan(stdout.indexOf('NON_BREAKING'));
  });
});
