import { type EntityManager } from '@mikro-orm/core';
import { PostgreSqlPlatform } from '@mikro-orm/postgresql';
import { type SqlEntityManager } from '@mikro-orm/sqlite';
import { Role, User } from './user.entity';

export type RoleChange =
  { ok: true; user: User; changed: boolean } | { ok: false; reason: 'not-found' | 'last-admin' };

/**
 * Gives a user a role. The last admin cannot be demoted: the check and the change are one
 * statement inside a transaction. On PostgreSQL the transaction first locks the admin rows, so two
 * admins demoting each other at once are serialized (each statement of READ COMMITTED would
 * otherwise count both admins); SQLite runs one writer at a time anyway (src/db/sqlite-driver.ts).
 */
export async function changeRole(
  em: EntityManager,
  userId: string,
  role: Role,
): Promise<RoleChange> {
  const before = await em.findOne(User, { id: userId });
  if (!before) return { ok: false, reason: 'not-found' };
  if (before.role === role) return { ok: true, user: before, changed: false };
  const changed = await em.transactional(async (tx) => {
    const sql = tx as SqlEntityManager;
    if (role !== Role.ADMIN && sql.getPlatform() instanceof PostgreSqlPlatform) {
      await sql.execute(`select id from users where role = ? for update`, [Role.ADMIN]);
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
  if (changed === 0) {
    const still = await em.findOne(User, { id: userId }, { refresh: true });
    return still ? { ok: false, reason: 'last-admin' } : { ok: false, reason: 'not-found' };
  }
  const user = await em.findOneOrFail(User, { id: userId }, { refresh: true });
  return { ok: true, user, changed: true };
}
