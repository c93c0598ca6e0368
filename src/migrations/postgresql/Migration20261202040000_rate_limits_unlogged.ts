import { Migration } from '@mikro-orm/migrations';

/**
 * The rate-limit counters stop waiting for the disk. Each login and registration writes a count
 * before its hash, and a logged write's commit waits for the WAL to reach the disk: on an idle
 * machine a login's first statement took 1.6-2.6 ms, 1.0-1.4 ms once the table was unlogged (a
 * login at one connection, docs/speed.md). The price: PostgreSQL empties an unlogged table when it
 * recovers from a crash, and a standby does not have it, so after a crash or a failover every
 * count starts again, as Redis without persistence does after a restart. A clean restart keeps
 * them. The table is rewritten once, with the counts it holds.
 */
export class Migration20261202040000 extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table "rate_limits" set unlogged;');
  }
}
