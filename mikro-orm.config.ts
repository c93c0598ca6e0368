// For the MikroORM CLI only (migration:create); the server builds its own options in src/db/orm.ts.
import 'reflect-metadata';
import { sqliteOptions } from './src/db/orm';

const options = sqliteOptions('data/migrations-dev.sqlite');
export default { ...options, migrations: { ...options.migrations, snapshot: true } };
