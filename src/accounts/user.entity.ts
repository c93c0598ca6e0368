import { Entity, Enum, OptionalProps, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { uuidv7 } from '../db/ids';

export enum Role {
  USER = 'USER',
  ADMIN = 'ADMIN',
}

registerEnumType(Role, {
  name: 'Role',
  description: 'What a user may do: USER, or ADMIN for everything.',
  valuesConfig: {
    USER: {
      description: 'Manages their own profile, sessions and account; sees others without email.',
    },
    ADMIN: {
      description: "Also lists users, sets roles, edits other users' profiles and sees emails.",
    },
  },
});

@ObjectType({
  description: 'An account holder. `email` is null unless the caller is this user or an admin.',
})
@Entity({ tableName: 'users' })
export class User {
  [OptionalProps]?:
    'avatar' | 'introduction' | 'role' | 'emailVerified' | 'createdAt' | 'updatedAt';

  @Field(() => ID, {
    description:
      'Permanent and unique (a UUID): what user(id), updateProfile(userId) and setRole(userId) take.',
  })
  @PrimaryKey({ type: 'string', length: 36 })
  id: string = uuidv7();

  @Field(() => String, {
    description: '10 decimal digits, first 1-9, chosen by the server at random.',
  })
  @Property({ type: 'string', length: 10 })
  @Unique({ name: 'users_account_unique' })
  account!: string;

  @Field(() => String, { description: 'Display name, NFKC-normalized; not unique.' })
  @Property({ type: 'string', length: 32 })
  username!: string;

  /**
   * The username in lower case (every script, unlike SQL lower()), ς as σ (rules.searchForm):
   * what `users(search)` matches.
   * Up to twice the username's length: İ lower-cases to two code points (i and a dot above).
   */
  @Property({ type: 'string', length: 64, hidden: true, default: '' })
  usernameFolded!: string;

  /** As the user typed it. Exposed through UserResolver.email, which hides it from others. */
  @Property({ type: 'string', length: 254 })
  email!: string;

  /** Lower-cased email: the unique index that makes A@X.com and a@x.com one address. */
  @Property({ type: 'string', length: 254 })
  @Unique({ name: 'users_email_normalized_unique' })
  emailNormalized!: string;

  @Field(() => Boolean, {
    description:
      'True once the user followed the link mailed to their current address (verifyEmail); ' +
      'false again after an email change.',
  })
  @Property({ type: 'boolean', default: false })
  emailVerified: boolean = false;

  /** argon2id PHC string. Never a GraphQL field. */
  @Property({ type: 'string', length: 255, hidden: true })
  passwordHash!: string;

  @Field(() => String, {
    nullable: true,
    description: 'Absolute http(s) URL, at most 255 characters.',
  })
  @Property({ type: 'string', length: 255, nullable: true })
  avatar: string | null = null;

  @Field(() => String, {
    nullable: true,
    description: 'At most 200 characters (grapheme clusters).',
  })
  @Property({ type: 'text', nullable: true })
  introduction: string | null = null;

  @Field(() => Role, {
    description: "Read afresh on every request: setRole applies to the user's existing tokens.",
  })
  @Enum({ items: () => Role, type: 'string', length: 8 })
  role: Role = Role.USER;

  @Field(() => Date, { description: 'When the account was registered.' })
  @Property({ type: 'datetime' })
  createdAt: Date = new Date();

  @Field(() => Date, {
    description:
      'When the profile, password or role was last written; createdAt until the first change.',
  })
  @Property({ type: 'datetime', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
