import { Migration } from '@mikro-orm/migrations';

export class Migration20261125025707 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table \`sessions\` (\`id\` text not null, \`user_id\` text not null, \`current_hash\` text not null, \`previous_hash\` text null, \`rotated_at\` datetime null, \`generation\` integer not null default 0, \`created_at\` datetime not null, \`last_used_at\` datetime not null, \`expires_at\` datetime not null, \`address\` text null, \`user_agent\` text null, constraint \`sessions_user_id_foreign\` foreign key(\`user_id\`) references \`users\`(\`id\`) on delete cascade on update cascade, primary key (\`id\`));`,
    );
    this.addSql(`create index \`sessions_user_id_index\` on \`sessions\` (\`user_id\`);`);
    this.addSql(`create index \`sessions_expires_at_index\` on \`sessions\` (\`expires_at\`);`);
  }
}
