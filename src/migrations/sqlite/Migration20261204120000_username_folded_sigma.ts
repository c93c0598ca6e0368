import { Migration } from '@mikro-orm/migrations';

/**
 * Search folds Greek's final sigma ς to σ (rules.searchForm): the stored search form of a username
 * with a ς, or with a word-final Σ (which lower-cased to ς), is brought to that form too. Only
 * the rows with a ς are written.
 */
export class Migration20261204120000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      "update `users` set `username_folded` = replace(`username_folded`, 'ς', 'σ')" +
        " where `username_folded` like '%ς%';",
    );
  }
}
