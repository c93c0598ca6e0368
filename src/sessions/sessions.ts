import { type EntityManager, type MikroORM } from '@mikro-orm/core';
import { type ClientInfo } from '../context';
import { User } from '../accounts/user.entity';
import { uuidv7 } from '../db/ids';
import {
  deferred,
  portableStatement,
  type PreparedStatements,
  type RowInsert,
} from '../db/prepared-statements';
import { type Logger, safeError } from '../logger';
import { every, type Periodic } from '../periodic';
import { hashSecret, sameHash } from '../secrets';
import { formatRefreshToken, parseRefreshToken, type RefreshTokenChain } from './refresh-tokens';
import { Session } from './session.entity';

export interface SessionSettings {
  /** Seconds a session lives after it was opened or last refreshed (REFRESH_TOKEN_TTL). */
  refreshTokenTtl: number;
  /** Seconds a retired refresh token still gets its successor (REFRESH_TOKEN_REUSE_INTERVAL). */
  reuseInterval: number;
}

export interface Opened {
  sessionId: string;
  refreshToken: string;
  refreshExpiresIn: number;
}

export type Refreshed =
  ({ ok: true; user: User } & Opened) | { ok: false; reason: 'invalid' | 'expired' | 'reused' };

/**
 * The longest chain of retired tokens followed to recognise reuse: 50 days of refreshing every 15
 * minutes. A token that matches neither stored hash walks it (an HMAC and a SHA-256 a step, 3-8 µs
 * on the event loop, so up to 20-40 ms for a forgery), so each walk is first counted against the
 * client address's login limit (refresh()'s `mayWalk`).
 */
export const MOST_STEPS_BACK = 5000;
/** Expired sessions are kept this long after expiry, so their refresh tokens answer 1009. */
export const EXPIRED_KEPT_MS = 24 * 3600 * 1000;

const USER_AGENT_MAX = 512;

const SESSION_COLUMNS = [
  'id',
  'user_id',
  'current_hash',
  'generation',
  'created_at',
  'last_used_at',
  'expires_at',
  'address',
  'user_agent',
] as const;

/**
 * A login's session, stored only while the user's password hash is still the one the login
 * checked: a password changed or reset meanwhile (which ends every session) or an account deleted
 * leaves no session behind. It answers a row when it stored one. Its commit is `deferred`. On
 * PostgreSQL it locks the user's row for share: a reset or change that has written the row and not
 * yet committed makes it wait, then see the new hash; one that has not written it yet ends this
 * session with the rest.
 */
const CHECKED_INSERT =
  `insert into sessions (${SESSION_COLUMNS.join(', ')}) ` +
  `select ${SESSION_COLUMNS.map(() => '?').join(', ')} ` +
  'where exists (select 1 from users where id = ? and password_hash = ?';
const OPEN_CHECKED = deferred({
  ...portableStatement('open_session_checked', `${CHECKED_INSERT} for share)`),
  sqlite: `${CHECKED_INSERT}) returning id`,
});

/** A new session and what its owner is told about it, before it is stored. */
export interface NewSession {
  row: RowInsert;
  opened: Opened;
}

/** Sessions: opened at sign-in, refreshed with rotation and a reuse interval, ended on request. */
export class Sessions {
  constructor(
    private readonly chain: RefreshTokenChain,
    private readonly settings: SessionSettings,
    private readonly statements: PreparedStatements,
  ) {}

  /**
   * A new session inside a transaction (a password reset, a password change), through that
   * transaction's em, so that it commits or rolls back with the rest.
   */
  async open(userId: string, client: ClientInfo, transaction: EntityManager): Promise<Opened> {
    const { session, secret } = this.newSession(client);
    await transaction.insert(
      Session,
      transaction.create(Session, { ...session, user: userId }, { persist: false }),
    );
    return this.opened(session.id, secret);
  }

  /**
   * A login's new session: one prepared statement (OPEN_CHECKED), no unit of work forked for it,
   * stored only while the user's password hash is still `passwordHash`, the one the login checked;
   * null when it was not (the password changed or the account went meanwhile).
   */
  async openChecked(
    userId: string,
    passwordHash: string,
    client: ClientInfo,
  ): Promise<Opened | null> {
    const { row, opened } = this.prepare(userId, client);
    // A login's session alone commits `deferred`: on PostgreSQL its answer does not wait for the
    // disk (about a millisecond on an idle machine). A crash of the database in the moment after
    // can forget that session, and its owner then logs in again: the account, and every other
    // change to a session (a refresh, a logout), commit as always.
    const stored = await this.statements.write(OPEN_CHECKED, [...row.values, userId, passwordHash]);
    return stored.length > 0 ? opened : null;
  }

  /**
   * A new session's row, for the caller to store (at registration, with the new user's row), and
   * what its owner is told about it.
   */
  prepare(userId: string, client: ClientInfo): NewSession {
    const { session, secret } = this.newSession(client);
    return {
      row: {
        table: 'sessions',
        columns: SESSION_COLUMNS,
        values: [
          session.id,
          userId,
          session.currentHash,
          session.generation,
          session.createdAt,
          session.lastUsedAt,
          session.expiresAt,
          session.address,
          session.userAgent,
        ],
      },
      opened: this.opened(session.id, secret),
    };
  }

  private newSession(client: ClientInfo) {
    const secret = this.chain.first();
    const now = new Date();
    const session = {
      id: uuidv7(),
      currentHash: hashSecret(secret),
      generation: 0,
      createdAt: now,
      lastUsedAt: now,
      expiresAt: this.expiryFrom(now),
      address: client.address || null,
      userAgent: client.userAgent?.slice(0, USER_AGENT_MAX) ?? null,
    };
    return { session, secret };
  }

  /**
   * Rotation. The current token gets a new successor; a retired one gets the same successor
   * again while within the reuse interval and that successor is unused; anything else of the
   * session's chain (MOST_STEPS_BACK at most) is reuse, which ends the session. Following the
   * chain back is done only if `mayWalk` allows it (the address's limit): otherwise 1010.
   */
  async refresh(
    em: EntityManager,
    text: string,
    mayWalk: () => Promise<boolean>,
  ): Promise<Refreshed> {
    const token = parseRefreshToken(text);
    if (!token) return { ok: false, reason: 'invalid' };
    const { sessionId, secret } = token;
    const presented = hashSecret(secret);
    // A second look is needed only when another request rotated the same token in between.
    for (let look = 0; look < 3; look++) {
      const session = await em.findOne(
        Session,
        { id: sessionId },
        { populate: ['user'], refresh: true },
      );
      if (!session) return { ok: false, reason: 'invalid' };
      const now = new Date();
      if (session.expiresAt <= now) {
        // 1009 only for a token of this session's chain: a forgery learns nothing from it.
        const ours =
          sameHash(presented, session.currentHash) ||
          (session.previousHash !== null && sameHash(presented, session.previousHash)) ||
          (await this.retiredFrom(session, secret, mayWalk));
        return { ok: false, reason: ours ? 'expired' : 'invalid' };
      }

      if (sameHash(presented, session.currentHash)) {
        const next = this.chain.successor(sessionId, secret);
        const rotated = await em.nativeUpdate(
          Session,
          { id: sessionId, currentHash: session.currentHash },
          {
            previousHash: presented,
            currentHash: hashSecret(next),
            rotatedAt: now,
            generation: session.generation + 1,
            lastUsedAt: now,
            expiresAt: this.expiryFrom(now),
          },
        );
        if (rotated === 1) return { ok: true, user: session.user, ...this.opened(sessionId, next) };
        continue;
      }

      if (session.previousHash !== null && sameHash(presented, session.previousHash)) {
        const next = this.chain.successor(sessionId, secret);
        const successorUnused = sameHash(hashSecret(next), session.currentHash);
        const withinInterval =
          session.rotatedAt !== null &&
          now.getTime() - session.rotatedAt.getTime() < this.settings.reuseInterval * 1000;
        if (successorUnused && withinInterval) {
          return { ok: true, user: session.user, ...this.opened(sessionId, next) };
        }
        await this.end(em, sessionId);
        return { ok: false, reason: 'reused' };
      }

      // Over the address's limit the walk is not made: 1010, and nothing ends.
      if (await this.retiredFrom(session, secret, mayWalk)) {
        await this.end(em, sessionId);
        return { ok: false, reason: 'reused' };
      }
      return { ok: false, reason: 'invalid' };
    }
    return { ok: false, reason: 'invalid' };
  }

  /** Ends one session; true if it was live. */
  async end(em: EntityManager, sessionId: string): Promise<boolean> {
    return (await em.nativeDelete(Session, { id: sessionId })) > 0;
  }

  /**
   * Ends one of the user's live sessions by id; 0 if it is not a live session of theirs
   * (idempotent). Expired ones are left to the sweep, so their refresh tokens still say 1009.
   */
  endOwn(em: EntityManager, userId: string, sessionId: string): Promise<number> {
    return em.nativeDelete(Session, {
      id: sessionId,
      user: userId,
      expiresAt: { $gt: new Date() },
    });
  }

  /** Ends every live session of the user; returns how many ended. */
  endAll(em: EntityManager, userId: string): Promise<number> {
    return em.nativeDelete(Session, { user: userId, expiresAt: { $gt: new Date() } });
  }

  /** The user's live sessions, most recently used first. */
  live(em: EntityManager, userId: string): Promise<Session[]> {
    return em.find(
      Session,
      { user: userId, expiresAt: { $gt: new Date() } },
      { orderBy: { lastUsedAt: 'desc', id: 'desc' } },
    );
  }

  /** Removes sessions that expired more than a day ago; returns how many. */
  sweep(em: EntityManager): Promise<number> {
    return em.nativeDelete(Session, {
      expiresAt: { $lt: new Date(Date.now() - EXPIRED_KEPT_MS) },
    });
  }

  /**
   * Whether `secret` is a retired token of the session's chain (MOST_STEPS_BACK at most): its
   * successors are followed to the current hash, only if `mayWalk` allows it.
   */
  private async retiredFrom(
    session: Session,
    secret: string,
    mayWalk: () => Promise<boolean>,
  ): Promise<boolean> {
    if (!(await mayWalk())) return false;
    const most = Math.min(session.generation, MOST_STEPS_BACK);
    return this.chain.stepsTo(session.id, secret, session.currentHash, most) !== null;
  }

  private expiryFrom(now: Date): Date {
    return new Date(now.getTime() + this.settings.refreshTokenTtl * 1000);
  }

  private opened(sessionId: string, secret: string): Opened {
    return {
      sessionId,
      refreshToken: formatRefreshToken({ sessionId, secret }),
      refreshExpiresIn: this.settings.refreshTokenTtl,
    };
  }
}

/** How often expired rows are swept away. */
export const SWEEP_EVERY_MS = 10 * 60 * 1000;

/** One kind of expired row to delete: returns how many went. */
export type Sweep = (em: EntityManager) => Promise<number>;

/**
 * A background sweep: once at start-up, then every ten minutes, each instance deletes what
 * expired long enough ago (sessions, email tokens, PostgreSQL rate-limit counts whose window
 * ended). Several instances sweeping at once do no harm.
 */
export function startSweeping(
  orm: MikroORM,
  sweeps: Record<string, Sweep>,
  logger: Logger,
): Periodic {
  const sweep = () =>
    Promise.all(
      Object.entries(sweeps).map(([what, run]) =>
        run(orm.em.fork()).then(
          (removed) => {
            if (removed > 0) logger.info({ removed, what }, 'expired rows swept');
          },
          (error: unknown) => logger.warn({ what, err: safeError(error) }, 'sweep failed'),
        ),
      ),
    );
  return every(SWEEP_EVERY_MS, sweep, { atStart: true });
}
