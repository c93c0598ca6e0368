import { type MigrationObject } from '@mikro-orm/core';
import { Migration20261125005835 } from './Migration20261125005835_users';

/** Every SQLite migration, in order. Listed here rather than globbed so compiled builds find them. */
export const sqliteMigrations: MigrationObject[] = [
  { name: 'Migration20261125005835_users', class: Migration20261125005835 },
];
