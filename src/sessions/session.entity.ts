import { Entity, Index, ManyToOne, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import { User } from '../accounts/user.entity';
import { uuidv7 } from '../db/ids';

/**
 * One signed-in device: opened by a login or a registration, ended by logout, revocation, a
 * password change, account deletion, refresh-token reuse, or expiry (then swept).
 *
 * Refresh tokens are never stored: only the SHA-256 of the current one and of its predecessor.
 * Each successor is derived from its predecessor (see refresh-tokens.ts), which is how a retired
 * token presented again within the reuse interval gets the very same successor back.
 */
@Entity({ tableName: 'sessions' })
@Index({ name: 'sessions_expires_at_index', properties: ['expiresAt'] })
export class Session {
  [OptionalProps]?: 'previousHash' | 'rotatedAt' | 'generation' | 'createdAt' | 'lastUsedAt';

  @PrimaryKey({ type: 'string', length: 36 })
  id: string = uuidv7();

  @ManyToOne(() => User, { deleteRule: 'cascade', index: 'sessions_user_id_index' })
  user!: User;

  /** SHA-256 (base64url) of the refresh token that is current now. */
  @Property({ type: 'string', length: 43 })
  currentHash!: string;

  /** SHA-256 of the token the current one replaced, while the reuse interval may still apply. */
  @Property({ type: 'string', length: 43, nullable: true })
  previousHash: string | null = null;

  /** When the current token replaced the previous one. */
  @Property({ type: 'datetime', nullable: true })
  rotatedAt: Date | null = null;

  /** How many times the refresh token has been replaced: how far back a retired one can be. */
  @Property({ type: 'integer' })
  generation: number = 0;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();

  /** Opened or refreshed last (access tokens in between are not written down). */
  @Property({ type: 'datetime' })
  lastUsedAt: Date = new Date();

  /** REFRESH_TOKEN_TTL after the last refresh: a session unused that long ends. */
  @Property({ type: 'datetime' })
  expiresAt!: Date;

  @Property({ type: 'string', length: 64, nullable: true })
  address: string | null = null;

  @Property({ type: 'string', length: 512, nullable: true })
  userAgent: string | null = null;
}
