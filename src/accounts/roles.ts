import { type EntityManager } from '@mikro-orm/core';
import { PostgreSqlPlatform } from '@mikro-orm/postgresql';
import { type SqlEntityManager } from '@mikro-orm/sqlite';
import { Role, User } from './user.entity';

export type RoleChange =
  | { ok: true; user: User; changed: boolean }
  | { ok: false; reason: 'not-found' | 'last-admin' | 'not-admin' };

/**
 * Gives a user a role; `by`, the admin who asks (none from the CLI). The last admin cannot be
 * demoted: the check and the change are one statement inside a transaction. On PostgreSQL the
 * transaction first locks the admin rows (in id order), so two admins demoting each other at once
 * are serialized (each statement of READ COMMITTED would otherwise count both admins); SQLite runs
 * one writer at a time anyway (src/db/sqlite-driver.ts).
 *
 * `by` must still be an admin when the change is written, not only when the request began: its
 * row is read inside the transaction, locked FOR SHARE on PostgreSQL, so a demotion of `by` that
 * commits first (or is in flight and then commits) refuses the change ('not-admin').
 */
export async function changeRole(
  em: EntityManager,
  userId: string,
  role: Role,
  by?: string,
): Promise<RoleChange> {
  const before = await em.findOne(User, { id: userId });
  if (!before) return { ok: false, reason: 'not-found' };
  if (before.role === role) return { ok: true, user: before, changed: false };
  const changed = await em.transactional(async (tx) => {
    const sql = tx as SqlEntityManager;
    const postgresql = sql.getPlatform() instanceof PostgreSqlPlatform;
    if (role !== Role.ADMIN && postgresql) {
      await sql.execute(`select id from users where role = ? order by id for update`, [Role.ADMIN]);
    }
    if (by !== undefined) {
      const lock = postgresql ? ' for share' : '';
      const still = await sql.execute(`select 1 from users where id = ? and role = ?${lock}`, [
        by,
        Role.ADMIN,
      ]);
      if (still.length === 0) return 'not-admin';
    }
    const qb = sql
      .createQueryBuilder(User)
      .update({ role, updatedAt: new Date() })
      .where({ id: userId });
    if (role !== Role.ADMIN) {
      qb.andWhere(`(select count(*) from users where role = ?) > 1`, [Role.ADMIN]);
    }
    return (await qb.execute('run')).affectedRows;
  });
  if (changed === 'not-admin') return { ok: false, reason: 'not-admin' };
  if (changed === 0) {
    const still = await em.findOne(User, { id: userId }, { refresh: true });
    return still ? { ok: false, reason: 'last-admin' } : { ok: false, reason: 'not-found' };
  }
  const user = await em.findOneOrFail(User, { id: userId }, { refresh: true });
  return { ok: true, user, changed: true };
}
