import { Migration } from '@mikro-orm/migrations';

/**
 * The whole schema as of the SQLite migrations users, sessions and username_folded. Table names
 * are unqualified: the connection's search_path (DATABASE_URL ?schema=) decides where they go.
 */
export class Migration20261125033612 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "users" ("id" varchar(36) not null, "account" varchar(10) not null, "username" varchar(32) not null, "username_folded" varchar(32) not null default '', "email" varchar(254) not null, "email_normalized" varchar(254) not null, "password_hash" varchar(255) not null, "avatar" varchar(255) null, "introduction" text null, "role" text check ("role" in ('USER', 'ADMIN')) not null default 'USER', "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "users_pkey" primary key ("id"));`,
    );
    this.addSql(`alter table "users" add constraint "users_account_unique" unique ("account");`);
    this.addSql(
      `alter table "users" add constraint "users_email_normalized_unique" unique ("email_normalized");`,
    );

    this.addSql(
      `create table "sessions" ("id" varchar(36) not null, "user_id" varchar(36) not null, "current_hash" varchar(43) not null, "previous_hash" varchar(43) null, "rotated_at" timestamptz null, "generation" int not null default 0, "created_at" timestamptz not null, "last_used_at" timestamptz not null, "expires_at" timestamptz not null, "address" varchar(64) null, "user_agent" varchar(512) null, constraint "sessions_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "sessions_user_id_index" on "sessions" ("user_id");`);
    this.addSql(`create index "sessions_expires_at_index" on "sessions" ("expires_at");`);

    this.addSql(
      `alter table "sessions" add constraint "sessions_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`,
    );
  }
}
