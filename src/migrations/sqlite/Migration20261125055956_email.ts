import { Migration } from '@mikro-orm/migrations';

/** Email links (hashes of their tokens only) and users.email_verified. */
export class Migration20261125055956 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table \`email_tokens\` (\`id\` text not null, \`user_id\` text not null, \`purpose\` text check (\`purpose\` in ('verify-email', 'reset-password')) not null, \`token_hash\` text not null, \`email\` text not null, \`created_at\` datetime not null, \`expires_at\` datetime not null, constraint \`email_tokens_user_id_foreign\` foreign key(\`user_id\`) references \`users\`(\`id\`) on delete cascade on update cascade, primary key (\`id\`));`,
    );
    this.addSql(`create index \`email_tokens_user_id_index\` on \`email_tokens\` (\`user_id\`);`);
    this.addSql(
      `create unique index \`email_tokens_token_hash_unique\` on \`email_tokens\` (\`token_hash\`);`,
    );
    this.addSql(
      `create index \`email_tokens_expires_at_index\` on \`email_tokens\` (\`expires_at\`);`,
    );
    this.addSql(
      `create unique index \`email_tokens_user_purpose_unique\` on \`email_tokens\` (\`user_id\`, \`purpose\`);`,
    );

    this.addSql(
      `alter table \`users\` add column \`email_verified\` integer not null default false;`,
    );
  }
}
