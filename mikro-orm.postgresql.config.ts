// For the MikroORM CLI only (migration:create:postgresql), against the local PostgreSQL; the
// server builds its own options in src/db/orm.ts. MikroORM writes the schema name into generated
// SQL: delete the `"migrations_dev".` prefixes, since deployments choose theirs (?schema=).
import 'reflect-metadata';
import { postgresqlOptions } from './src/db/orm';

const options = postgresqlOptions({
  dialect: 'postgresql',
  url: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
  schema: 'migrations_dev',
  statementTimeoutMs: 10_000,
  poolSize: 1,
});
export default { ...options, migrations: { ...options.migrations, snapshot: true } };
