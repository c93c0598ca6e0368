import { type MigrationObject } from '@mikro-orm/core';
import { Migration20261125005835 } from './Migration20261125005835_users';
import { Migration20261125025707 } from './Migration20261125025707_sessions';
import { Migration20261125032605 } from './Migration20261125032605_username_folded';
import { Migration20261125055956 } from './Migration20261125055956_email';
import { Migration20261204120000 } from './Migration20261204120000_username_folded_sigma';

/** Every SQLite migration, in order. Listed here rather than globbed so compiled builds find them. */
export const sqliteMigrations: MigrationObject[] = [
  { name: 'Migration20261125005835_users', class: Migration20261125005835 },
  { name: 'Migration20261125025707_sessions', class: Migration20261125025707 },
  { name: 'Migration20261125032605_username_folded', class: Migration20261125032605 },
  { name: 'Migration20261125055956_email', class: Migration20261125055956 },
  { name: 'Migration20261204120000_username_folded_sigma', class: Migration20261204120000 },
];
