import { Migration } from '@mikro-orm/migrations';

/** Email links (hashes of their tokens only) and users.email_verified. */
export class Migration20261125060003 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "email_tokens" ("id" varchar(36) not null, "user_id" varchar(36) not null, "purpose" text check ("purpose" in ('verify-email', 'reset-password')) not null, "token_hash" varchar(43) not null, "email" varchar(254) not null, "created_at" timestamptz not null, "expires_at" timestamptz not null, constraint "email_tokens_pkey" primary key ("id"));`,
    );
    this.addSql(
      `alter table "email_tokens" add constraint "email_tokens_token_hash_unique" unique ("token_hash");`,
    );
    this.addSql(`create index "email_tokens_expires_at_index" on "email_tokens" ("expires_at");`);
    this.addSql(
      `alter table "email_tokens" add constraint "email_tokens_user_purpose_unique" unique ("user_id", "purpose");`,
    );

    this.addSql(
      `alter table "email_tokens" add constraint "email_tokens_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`,
    );

    this.addSql(`alter table "users" add column "email_verified" boolean not null default false;`);
  }
}
