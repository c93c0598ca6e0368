// Writes schema.graphql: the schema the server serves, sorted so diffs show only real changes.
import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { printSchemaFile } from '../src/schema-file';

const target = resolve(__dirname, '..', 'schema.graphql');
printSchemaFile()
  .then((text) => {
    writeFileSync(target, text);
    process.stdout.write(`wrote ${target}\n`);
  })
  .catch((error: unknown) => {
    process.stderr.write(`could not emit the schema: ${String(error)}\n`);
    process.exit(1);
  });
