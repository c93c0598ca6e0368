import { Migration } from '@mikro-orm/migrations';

/**
 * The shared rate-limit counters (rate-limiter-flexible's table layout, kept by
 * src/abuse/rate-limits.ts), used when the service runs on PostgreSQL without REDIS_URL. Not an
 * entity: the schema generator skips it.
 */
export class Migration20261125040000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      'create table "rate_limits" ("key" varchar(255) not null primary key, "points" integer not null default 0, "expire" bigint null);',
    );
  }
}
