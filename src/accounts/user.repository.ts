import { type OptionalProps } from '@mikro-orm/core';
import { Batch, WriteBatch } from '../db/batch';
import {
  portableStatement,
  type PreparedStatement,
  type PreparedStatements,
  type RowInsert,
} from '../db/prepared-statements';
import { type Role, User } from './user.entity';

/** A users row as the database returns it: SQLite gives numbers where PostgreSQL gives types. */
export interface UserRow {
  id: string;
  account: string;
  username: string;
  username_folded: string;
  email: string;
  email_normalized: string;
  email_verified: boolean | number;
  password_hash: string;
  avatar: string | null;
  introduction: string | null;
  role: Role;
  created_at: Date | number;
  updated_at: Date | number;
}

/** A users row's columns, of `users u`. */
export const USER_COLUMNS =
  'u.id, u.account, u.username, u.username_folded, u.email, u.email_normalized, u.email_verified, ' +
  'u.password_hash, u.avatar, u.introduction, u.role, u.created_at, u.updated_at';

const BY_ACCOUNT = portableStatement(
  'user_by_account',
  `select ${USER_COLUMNS} from users u where u.account = ?`,
);

const BY_EMAIL = portableStatement(
  'user_by_email',
  `select ${USER_COLUMNS} from users u where u.email_normalized = ?`,
);

const EMAIL_TAKEN = portableStatement(
  'email_taken',
  'select 1 as taken from users where email_normalized = ?',
);

/**
 * Users by id, many at once: the ids come as one parameter (a JSON array on SQLite, an array on
 * PostgreSQL), so one prepared statement serves any number. `k` says which id a row answers.
 */
const BY_IDS: PreparedStatement = {
  name: 'users_by_ids',
  sqlite: `select j.key as k, ${USER_COLUMNS} from json_each(?) j cross join users u on u.id = j.value`,
  postgresql:
    `select x.k - 1 as k, ${USER_COLUMNS} from unnest($1::text[]) with ordinality as x(id, k)` +
    ' join users u on u.id = x.id',
};

/** Users by id with whether the given session of each is live: the check behind every token. */
const SIGNED_IN: PreparedStatement = {
  name: 'users_signed_in',
  sqlite:
    `select j.key as k, ${USER_COLUMNS}, exists (select 1 from sessions s` +
    " where s.id = json_extract(j.value, '$[1]') and s.user_id = u.id and s.expires_at > ?)" +
    " as session_live from json_each(?) j cross join users u on u.id = json_extract(j.value, '$[0]')",
  // A scalar subquery by primary key, not EXISTS: PostgreSQL may run an EXISTS as one hashed scan
  // of every session, a plan that a named statement keeps while the table grows under it (seen:
  // chosen at 200 sessions, still scanning at 30,000). This one is an index lookup per key.
  postgresql:
    `select x.k - 1 as k, ${USER_COLUMNS}, coalesce((select s.user_id = u.id and s.expires_at > $1` +
    ' from sessions s where s.id = x.sid), false) as session_live' +
    ' from unnest($2::text[], $3::text[]) with ordinality as x(id, sid, k) join users u on u.id = x.id',
};

const INSERT_COLUMNS = [
  'id',
  'account',
  'username',
  'username_folded',
  'email',
  'email_normalized',
  'email_verified',
  'password_hash',
  'avatar',
  'introduction',
  'role',
  'created_at',
  'updated_at',
] as const;

/** A new user's every column. */
export type NewUserRow = Omit<User, typeof OptionalProps>;

/** The columns of a user that updateProfile writes, by User property. */
const PROFILE_COLUMNS = {
  username: 'username',
  usernameFolded: 'username_folded',
  email: 'email',
  emailNormalized: 'email_normalized',
  emailVerified: 'email_verified',
  avatar: 'avatar',
  introduction: 'introduction',
} as const;

export type ProfileChanges = Partial<Pick<User, keyof typeof PROFILE_COLUMNS>>;

/**
 * One user's changes as an element of an update's JSON list: only what changes is there. With
 * `sid`, the row is written only if that session of the user is live; with `pw`, only while the
 * user's password hash is still that one (see updateProfile).
 */
type ProfileWrite = ProfileChanges & {
  id: string;
  updatedAt: Date | number;
  sid?: string;
  pw?: string;
  en?: string;
};

type ProfileProperty = keyof typeof PROFILE_COLUMNS;

/** Each profile property's bit in the mask that names an update statement. */
const PROFILE_BITS = new Map(
  (Object.keys(PROFILE_COLUMNS) as ProfileProperty[]).map((property, at) => [property, 1 << at]),
);

/**
 * Profile updates, many users at once: a JSON list of {id, updatedAt, ...changes}, one element
 * per user. A column takes the element's value where the element has that property (a JSON null
 * clears it) and keeps its own otherwise, so a change to one field never overwrites another
 * field that a concurrent update changed. The ids that exist come back.
 *
 * Only the columns that some write of the batch changes are set: SQLite rewrites a row's entry in
 * every index on a column that an UPDATE sets, even to the value it had, so an edited introduction
 * would also rewrite the account's entries in the email and username indexes (a third more
 * SQLite time per row, measured). One statement per set of columns (at most 2^7), made on first use.
 *
 * An element with a session id (`sid`) is written only while that session of the user is live,
 * checked as SIGNED_IN checks it, against the second parameter (now); one with a password hash
 * (`pw`), only while the user's is still that one; one with an address (`en`), only while the
 * user's is still that one. The rows written come back whole.
 */
const UPDATE_PROFILES = new Map<number, PreparedStatement>();

function updateProfiles(properties: number): PreparedStatement {
  let statement = UPDATE_PROFILES.get(properties);
  if (!statement) {
    const columns = Object.entries(PROFILE_COLUMNS).filter(
      ([property]) => properties & PROFILE_BITS.get(property as ProfileProperty)!,
    );
    statement = {
      name: `update_profiles_${properties}`,
      sqlite:
        'update users set ' +
        columns
          .map(
            ([property, column]) =>
              `${column} = case when json_type(j.value, '$.${property}') is null then users.${column}` +
              ` else json_extract(j.value, '$.${property}') end, `,
          )
          .join('') +
        "updated_at = json_extract(j.value, '$.updatedAt') from json_each(?) j" +
        " where users.id = json_extract(j.value, '$.id')" +
        " and (json_type(j.value, '$.sid') is null or exists (select 1 from sessions s" +
        " where s.id = json_extract(j.value, '$.sid') and s.user_id = users.id and s.expires_at > ?))" +
        " and (json_type(j.value, '$.pw') is null" +
        " or users.password_hash = json_extract(j.value, '$.pw'))" +
        " and (json_type(j.value, '$.en') is null" +
        " or users.email_normalized = json_extract(j.value, '$.en'))" +
        ` returning ${USER_COLUMNS.replace(/\bu\./g, 'users.')}`,
      postgresql:
        'update users u set ' +
        columns
          .map(
            ([property, column]) =>
              `${column} = case when j ? '${property}' then (j->>'${property}')` +
              `${property === 'emailVerified' ? '::boolean' : ''} else u.${column} end, `,
          )
          .join('') +
        "updated_at = (j->>'updatedAt')::timestamptz from jsonb_array_elements($1::jsonb) j" +
        " where u.id = j->>'id' and (not j ? 'sid' or coalesce((select s.user_id = u.id" +
        " and s.expires_at > $2 from sessions s where s.id = j->>'sid'), false))" +
        " and (not j ? 'pw' or u.password_hash = j->>'pw')" +
        " and (not j ? 'en' or u.email_normalized = j->>'en')" +
        ` returning ${USER_COLUMNS}`,
    };
    UPDATE_PROFILES.set(properties, statement);
  }
  return statement;
}

/** The mask of the profile properties that any of these writes changes. */
function changedProperties(writes: readonly ProfileWrite[]): number {
  let properties = 0;
  for (const write of writes) {
    for (const property in write) properties |= PROFILE_BITS.get(property as ProfileProperty) ?? 0;
  }
  return properties;
}

type Keyed<Row> = Row & { k: number | string };
type SignedInRow = UserRow & { session_live: boolean | number };

/** The caller of an authenticated request and whether the token's session is still live. */
export type Signed = { user: User; sessionLive: boolean } | null;

/**
 * The statements on one user that nearly every request makes (see PreparedStatements): the reads
 * by id, account number or email, the caller by token, and the profile update. The reads by id and
 * by token are batched (see Batch): the requests of one turn of the event loop share one
 * statement; so are profile updates (see WriteBatch). Each answer is a User of its own, outside
 * any unit of work: code that changes a user writes the change with a statement of its own
 * (updateProfile here, em.nativeUpdate elsewhere), never by flushing this object.
 */
export class UserStore {
  private readonly ids: Batch<UserRow>;
  private readonly signed: Batch<SignedInRow>;
  private readonly profiles: WriteBatch<ProfileWrite, User | null>;

  constructor(private readonly reads: PreparedStatements) {
    this.ids = new Batch(async (ids) =>
      byKey(ids, await this.reads.rows<Keyed<UserRow>>(BY_IDS, [this.reads.list(ids)])),
    );
    this.signed = new Batch(async (keys) => {
      const pairs = keys.map((key) => key.split(' ') as [string, string]);
      const now = new Date();
      // SQLite walks one list of pairs; PostgreSQL unnests two parallel arrays.
      const params =
        this.reads.dialect === 'postgresql'
          ? [now, pairs.map(([userId]) => userId), pairs.map(([, sessionId]) => sessionId)]
          : [now, this.reads.list(pairs)];
      return byKey(keys, await this.reads.rows<Keyed<SignedInRow>>(SIGNED_IN, params));
    });
    this.profiles = new WriteBatch(async (writes) => {
      // JSON text in both dialects: pg would send a JavaScript array as a PostgreSQL array.
      const rows = await this.reads.write<UserRow>(updateProfiles(changedProperties(writes)), [
        JSON.stringify(writes),
        new Date(),
      ]);
      const updated = new Map(rows.map((row) => [row.id, row]));
      return writes.map((write) => {
        const row = updated.get(write.id);
        return row ? userFromRow(row) : null;
      });
    });
  }

  /**
   * Inserts a user, and with them `alongside`: rows that refer to the user (a session, a
   * verification token) and are stored with the user or not at all, in one prepared statement
   * (see PreparedStatements.insertRows). A unique value taken (account number, email) throws
   * UniqueConstraintViolationException, as MikroORM's own writes do.
   */
  async insert(user: NewUserRow, alongside: readonly RowInsert[] = []): Promise<User> {
    const values = [
      user.id,
      user.account,
      user.username,
      user.usernameFolded,
      user.email,
      user.emailNormalized,
      user.emailVerified,
      user.passwordHash,
      user.avatar,
      user.introduction,
      user.role,
      user.createdAt,
      user.updatedAt,
    ];
    await this.reads.insertRows([
      { table: 'users', columns: INSERT_COLUMNS, values },
      ...alongside,
    ]);
    return asUser(user);
  }

  /**
   * Writes a user's profile changes and updatedAt, and answers the user as stored now; null if the
   * user no longer exists or, given a session, if that session of theirs is not live, or, given a
   * password hash (one just checked), if the user's is no longer that one, or, given an address
   * (emailNormalized, as read), if the user's is no longer that one (then nothing is written). A
   * taken email throws UniqueConstraintViolationException, as MikroORM's own writes do.
   */
  updateProfile(
    id: string,
    changes: ProfileChanges,
    updatedAt: Date,
    {
      sessionId,
      passwordHash,
      emailNormalized,
    }: { sessionId?: string; passwordHash?: string; emailNormalized?: string } = {},
  ): Promise<User | null> {
    const write: ProfileWrite = Object.assign({}, changes, {
      id,
      updatedAt: this.reads.time(updatedAt),
    });
    if (sessionId !== undefined) write.sid = sessionId;
    if (passwordHash !== undefined) write.pw = passwordHash;
    if (emailNormalized !== undefined) write.en = emailNormalized;
    return this.profiles.run(id, write);
  }

  async byId(id: string): Promise<User | null> {
    const row = await this.ids.get(id);
    return row ? userFromRow(row) : null;
  }

  /** By the 10-digit account number, as checked by the account rule. */
  byAccount(account: string): Promise<User | null> {
    return this.one(BY_ACCOUNT, account);
  }

  /** By the lower-cased address (User.emailNormalized). */
  byEmail(normalized: string): Promise<User | null> {
    return this.one(BY_EMAIL, normalized);
  }

  /** Whether a user has this lower-cased address. */
  async emailTaken(normalized: string): Promise<boolean> {
    return (await this.reads.first(EMAIL_TAKEN, [normalized])) !== undefined;
  }

  /** The read behind every access token: the user, and whether the token's session is live. */
  async signedIn(userId: string, sessionId: string): Promise<Signed> {
    // Both are ids of ours from a verified token (UUIDs): a space cannot occur in either.
    const row = await this.signed.get(`${userId} ${sessionId}`);
    return row ? { user: userFromRow(row), sessionLive: Boolean(row.session_live) } : null;
  }

  /** The user a read by one unique value finds, if any. */
  private async one(read: PreparedStatement, value: string): Promise<User | null> {
    const row = await this.reads.first<UserRow>(read, [value]);
    return row ? userFromRow(row) : null;
  }
}

/** The rows of a batch by the key each answers (`k` is the key's place in the batch). */
function byKey<Row>(keys: string[], rows: Keyed<Row>[]): Map<string, Row> {
  return new Map(rows.map((row) => [keys[Number(row.k)]!, row]));
}

/** The row as a User. */
export function userFromRow(row: UserRow): User {
  return asUser({
    id: row.id,
    account: row.account,
    username: row.username,
    usernameFolded: row.username_folded,
    email: row.email,
    emailNormalized: row.email_normalized,
    emailVerified: Boolean(row.email_verified),
    passwordHash: row.password_hash,
    avatar: row.avatar,
    introduction: row.introduction,
    role: row.role,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  });
}

/**
 * A User of these fields, built as a plain object first: assigning to a User instance would go
 * through MikroORM's change-tracking setters (one accessor per property per instance), which this
 * object, outside any unit of work, has no use for.
 */
function asUser(fields: NewUserRow): User {
  return Object.setPrototypeOf(fields, User.prototype) as User;
}
