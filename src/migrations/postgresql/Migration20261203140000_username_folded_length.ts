import { Migration } from '@mikro-orm/migrations';

/**
 * A username's lower-case form can be longer than the username: "İ" lower-cases to "i" and a
 * combining dot, so a valid 32-character name folds to up to 64 characters, which the old column
 * refused (a registration answered 1007, a profile change 1023). SQLite's column is `text`. A
 * varchar made longer keeps its rows and indexes as they are: no rewrite.
 */
export class Migration20261203140000 extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table "users" alter column "username_folded" type varchar(64);');
  }
}
