import { Migration } from '@mikro-orm/migrations';

export class Migration20261125032605 extends Migration {
  override async up(): Promise<void> {
    // SQLite adds a NOT NULL column only with a default; every row gets its value just below.
    this.addSql("alter table `users` add column `username_folded` text not null default '';");
    // Users stored before this migration: lower() folds ASCII letters only, so a username in
    // another script is found by its prefix as written until its next change.
    this.addSql('update `users` set `username_folded` = lower(`username`);');
  }
}
