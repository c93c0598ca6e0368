import { Migration } from '@mikro-orm/migrations';

export class Migration20261125005835 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table \`users\` (\`id\` text not null, \`account\` text not null, \`username\` text not null, \`email\` text not null, \`email_normalized\` text not null, \`password_hash\` text not null, \`avatar\` text null, \`introduction\` text null, \`role\` text check (\`role\` in ('USER', 'ADMIN')) not null default 'USER', \`created_at\` datetime not null, \`updated_at\` datetime not null, primary key (\`id\`));`,
    );
    this.addSql(`create unique index \`users_account_unique\` on \`users\` (\`account\`);`);
    this.addSql(
      `create unique index \`users_email_normalized_unique\` on \`users\` (\`email_normalized\`);`,
    );
  }
}
