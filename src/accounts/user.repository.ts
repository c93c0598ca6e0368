import { type OptionalProps } from '@mikro-orm/core';
import { type PreparedRead, type PreparedReads } from '../db/prepared-reads';
import { type Role, User } from './user.entity';

/** A users row as the database returns it: SQLite gives numbers where PostgreSQL gives types. */
interface UserRow {
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

const USER_COLUMNS =
  'u.id, u.account, u.username, u.username_folded, u.email, u.email_normalized, u.email_verified, ' +
  'u.password_hash, u.avatar, u.introduction, u.role, u.created_at, u.updated_at';

const BY_ID: PreparedRead = {
  name: 'user_by_id',
  sql: `select ${USER_COLUMNS} from users u where u.id = ?`,
};

const BY_ACCOUNT: PreparedRead = {
  name: 'user_by_account',
  sql: `select ${USER_COLUMNS} from users u where u.account = ?`,
};

const BY_EMAIL: PreparedRead = {
  name: 'user_by_email',
  sql: `select ${USER_COLUMNS} from users u where u.email_normalized = ?`,
};

const EMAIL_TAKEN: PreparedRead = {
  name: 'email_taken',
  sql: 'select 1 as taken from users where email_normalized = ?',
};

/** The user and whether the session is live, in one statement on two primary keys. */
const SIGNED_IN: PreparedRead = {
  name: 'user_signed_in',
  sql:
    `select ${USER_COLUMNS}, exists (select 1 from sessions s where s.id = ? and s.user_id = u.id` +
    ' and s.expires_at > ?) as session_live from users u where u.id = ?',
};

/** The caller of an authenticated request and whether the token's session is still live. */
export type Signed = { user: User; sessionLive: boolean } | null;

/**
 * The reads of one user that nearly every request makes (see PreparedReads): by id, account number
 * or email, and the caller by token. Each
 * answers a User that is not part of any unit of work: code that changes a user writes the change
 * with a statement of its own (em.nativeUpdate), never by flushing this object.
 */
export class UserReads {
  constructor(private readonly reads: PreparedReads) {}

  async byId(id: string): Promise<User | null> {
    const row = await this.reads.first<UserRow>(BY_ID, [id]);
    return row ? userFromRow(row) : null;
  }

  /** By the 10-digit account number, as checked by the account rule. */
  async byAccount(account: string): Promise<User | null> {
    const row = await this.reads.first<UserRow>(BY_ACCOUNT, [account]);
    return row ? userFromRow(row) : null;
  }

  /** By the lower-cased address (User.emailNormalized). */
  async byEmail(normalized: string): Promise<User | null> {
    const row = await this.reads.first<UserRow>(BY_EMAIL, [normalized]);
    return row ? userFromRow(row) : null;
  }

  /** Whether a user has this lower-cased address. */
  async emailTaken(normalized: string): Promise<boolean> {
    return (await this.reads.first(EMAIL_TAKEN, [normalized])) !== undefined;
  }

  /** The read behind every access token: the user, and whether the token's session is live. */
  async signedIn(userId: string, sessionId: string): Promise<Signed> {
    const row = await this.reads.first<UserRow & { session_live: boolean | number }>(SIGNED_IN, [
      sessionId,
      this.reads.time(new Date()),
      userId,
    ]);
    return row ? { user: userFromRow(row), sessionLive: Boolean(row.session_live) } : null;
  }
}

/**
 * The row as a User. Built as a plain object first: assigning to a User instance would go through
 * MikroORM's change-tracking setters (one accessor per property per instance), which this object,
 * outside any unit of work, has no use for.
 */
function userFromRow(row: UserRow): User {
  const fields: Omit<User, typeof OptionalProps> = {
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
  };
  return Object.setPrototypeOf(fields, User.prototype) as User;
}
