import { Migration } from '@mikro-orm/migrations';

/**
 * A rate-limit key is its counter's prefix and what it counts: a mail recipient's address (up to
 * 254 characters, so 269 with `mail-recipient:`) or, with HIDE_ACCOUNT_EXISTENCE, the lookup of an
 * unknown account. varchar(255) refused the longest with an internal error (1023) for a valid
 * registration. varchar to text is binary coercible: no rewrite of the table or its index.
 */
export class Migration20261203180000 extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table "rate_limits" alter column "key" type text;');
  }
}
