// `npm run schema:check` (run in CI): compares the committed schema.graphql, the contract clients
// generate their code from, with the schema the code builds now. Any difference fails the check;
// each change is listed with graphql-inspector's verdict (BREAKING, DANGEROUS, NON_BREAKING), so
// a change to the contract is never silent. Accept one with `npm run schema` and commit the file.
// `--committed FILE` compares another file instead of schema.graphql.
import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CriticalityLevel, diff } from '@graphql-inspector/core';
import { buildSchema } from 'graphql';
import { printSchemaFile } from '../src/schema-file';

const LEVELS: Record<CriticalityLevel, string> = {
  [CriticalityLevel.Breaking]: 'BREAKING',
  [CriticalityLevel.Dangerous]: 'DANGEROUS',
  [CriticalityLevel.NonBreaking]: 'NON_BREAKING',
};
const ORDER = Object.values(LEVELS);

async function main(args: string[]): Promise<void> {
  const at = args.indexOf('--committed');
  const file = resolve(at === -1 ? resolve(__dirname, '..', 'schema.graphql') : args[at + 1]!);
  const committed = readFileSync(file, 'utf8');
  const built = await printSchemaFile();
  const changes = (await diff(buildSchema(committed), buildSchema(built)))
    .map((change) => ({ level: LEVELS[change.criticality.level], message: change.message }))
    .sort((a, b) => ORDER.indexOf(a.level) - ORDER.indexOf(b.level));
  if (changes.length === 0 && committed === built) {
    process.stdout.write(`${file} matches the schema the code builds\n`);
    return;
  }
  const breaking = changes.filter((change) => change.level === 'BREAKING').length;
  process.stdout.write(
    `${file} differs from the schema the code builds: ${changes.length} change(s), ${breaking} breaking\n`,
  );
  for (const { level, message } of changes)
    process.stdout.write(`  ${level.padEnd(12)} ${message}\n`);
  if (changes.length === 0) process.stdout.write('  (only descriptions, comments or layout)\n');
  process.stdout.write('Run `npm run schema` and commit schema.graphql to accept the change.\n');
  process.exitCode = 1;
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`schema check failed: ${String(error)}\n`);
  process.exit(1);
});
