import {
  Entity,
  type EntityManager,
  Enum,
  Index,
  ManyToOne,
  PrimaryKey,
  Property,
  Unique,
} from '@mikro-orm/core';
import { User } from '../accounts/user.entity';
import { uuidv7 } from '../db/ids';
import {
  insertStatement,
  type PreparedStatement,
  type PreparedStatements,
  type RowInsert,
} from '../db/prepared-statements';
import { hashSecret, newSecret, SECRET } from '../secrets';

export enum EmailTokenPurpose {
  VERIFY_EMAIL = 'verify-email',
  RESET_PASSWORD = 'reset-password',
}

/**
 * A token sent by mail: its SHA-256 only, never the token. A user has at most one per purpose
 * (the unique index): sending a new one replaces the row, which is what kills the older link.
 * Used tokens are deleted; expired ones stay until swept, so they can still answer 1009.
 */
@Entity({ tableName: 'email_tokens' })
@Unique({ name: 'email_tokens_user_purpose_unique', properties: ['user', 'purpose'] })
@Index({ name: 'email_tokens_expires_at_index', properties: ['expiresAt'] })
export class EmailToken {
  @PrimaryKey({ type: 'string', length: 36 })
  id: string = uuidv7();

  @ManyToOne(() => User, { deleteRule: 'cascade' })
  user!: User;

  @Enum({ items: () => EmailTokenPurpose, type: 'string', length: 16 })
  purpose!: EmailTokenPurpose;

  @Property({ type: 'string', length: 43 })
  @Unique({ name: 'email_tokens_token_hash_unique' })
  tokenHash!: string;

  /** The normalized address the token was sent to: a verification counts only for it. */
  @Property({ type: 'string', length: 254 })
  email!: string;

  @Property({ type: 'datetime' })
  createdAt!: Date;

  @Property({ type: 'datetime' })
  expiresAt!: Date;
}

export type Presented =
  { state: 'valid'; token: EmailToken } | { state: 'expired' } | { state: 'unknown' }; // malformed, never issued, used, or replaced by a newer one

/** Tokens that expired longer ago than this are swept; until then they answer 1009. */
export const EXPIRED_TOKENS_KEPT_MS = 7 * 24 * 3600 * 1000;

const TOKEN_COLUMNS = [
  'id',
  'user_id',
  'purpose',
  'token_hash',
  'email',
  'created_at',
  'expires_at',
] as const;

/** A user's token for a purpose, replacing the one before (one prepared statement). */
const UPSERT_TOKEN = insertStatement(
  'upsert_email_token',
  'email_tokens',
  TOKEN_COLUMNS,
  ' on conflict (user_id, purpose) do update set id = excluded.id,' +
    ' token_hash = excluded.token_hash, email = excluded.email,' +
    ' created_at = excluded.created_at, expires_at = excluded.expires_at',
);

/** All of a user's tokens. */
const DELETE_USER_TOKENS: PreparedStatement = {
  name: 'delete_email_tokens_of_user',
  sqlite: 'delete from email_tokens where user_id = ?',
  postgresql: 'delete from email_tokens where user_id = $1',
};

/** A token and its row, before the row is stored. */
export interface NewEmailToken {
  token: string;
  row: RowInsert;
}

/** Issues, checks and spends the single-use tokens of email links. */
export class EmailTokens {
  constructor(private readonly statements: PreparedStatements) {}

  /**
   * A new token for the user and purpose, replacing (so killing) any earlier one. Returns the
   * token itself, which exists from here on only in the mail.
   */
  async issue(
    userId: string,
    purpose: EmailTokenPurpose,
    email: string,
    ttlSeconds: number,
  ): Promise<string> {
    const { token, row } = this.prepare(userId, purpose, email, ttlSeconds);
    await this.statements.write(UPSERT_TOKEN, row.values);
    return token;
  }

  /**
   * A new token and its row, for a user who has none yet (one being registered): the caller
   * stores the row with the user's.
   */
  prepare(
    userId: string,
    purpose: EmailTokenPurpose,
    email: string,
    ttlSeconds: number,
  ): NewEmailToken {
    const token = newSecret();
    const now = new Date();
    const values = [
      uuidv7(),
      userId,
      purpose,
      hashSecret(token),
      email,
      now,
      new Date(now.getTime() + ttlSeconds * 1000),
    ];
    return { token, row: { table: 'email_tokens', columns: TOKEN_COLUMNS, values } };
  }

  /** What a presented token is, without spending it. */
  async check(em: EntityManager, purpose: EmailTokenPurpose, text: string): Promise<Presented> {
    if (!SECRET.test(text)) return { state: 'unknown' };
    const token = await em.findOne(
      EmailToken,
      { tokenHash: hashSecret(text), purpose },
      { refresh: true },
    );
    if (!token) return { state: 'unknown' };
    if (token.expiresAt <= new Date()) return { state: 'expired' };
    return { state: 'valid', token };
  }

  /** Spends the token: true for exactly one caller, however many present it at once. */
  async spend(em: EntityManager, token: EmailToken): Promise<boolean> {
    return (await em.nativeDelete(EmailToken, { id: token.id, tokenHash: token.tokenHash })) === 1;
  }

  /**
   * Kills all of the user's links, once their address changed. A link proves only that its
   * reader got mail at its address: were it kept, changing the email away and back would bring
   * it back to life. All of them, not only those of other addresses: a reset link issued for the
   * old address while the change committed carries it too.
   */
  async revokeAll(userId: string): Promise<void> {
    await this.statements.write(DELETE_USER_TOKENS, [userId]);
  }

  /** Removes tokens that expired more than a week ago; returns how many. */
  sweep(em: EntityManager): Promise<number> {
    return em.nativeDelete(EmailToken, {
      expiresAt: { $lt: new Date(Date.now() - EXPIRED_TOKENS_KEPT_MS) },
    });
  }
}
