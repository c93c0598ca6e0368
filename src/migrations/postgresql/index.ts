import { type MigrationObject } from '@mikro-orm/core';
import { Migration20261125033612 } from './Migration20261125033612_initial';
import { Migration20261125040000 } from './Migration20261125040000_rate_limits';
import { Migration20261125060003 } from './Migration20261125060003_email';
import { Migration20261202040000 } from './Migration20261202040000_rate_limits_unlogged';
import { Migration20261203140000 } from './Migration20261203140000_username_folded_length';
import { Migration20261203180000 } from './Migration20261203180000_rate_limit_key_text';
import { Migration20261204120000 } from './Migration20261204120000_username_folded_sigma';

/** Every PostgreSQL migration, in order. Listed here rather than globbed so compiled builds find them. */
export const postgresqlMigrations: MigrationObject[] = [
  { name: 'Migration20261125033612_initial', class: Migration20261125033612 },
  { name: 'Migration20261125040000_rate_limits', class: Migration20261125040000 },
  { name: 'Migration20261125060003_email', class: Migration20261125060003 },
  {
    name: 'Migration20261202040000_rate_limits_unlogged',
    class: Migration20261202040000,
  },
  {
    name: 'Migration20261203140000_username_folded_length',
    class: Migration20261203140000,
  },
  { name: 'Migration20261203180000_rate_limit_key_text', class: Migration20261203180000 },
  { name: 'Migration20261204120000_username_folded_sigma', class: Migration20261204120000 },
];
