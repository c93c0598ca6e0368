import { type SqlEntityManager } from '@mikro-orm/sqlite';
import { type Context } from '../context';
import { canonicalId } from '../db/ids';
import {
  type ErrorResult,
  FieldViolation,
  InsufficientPermissions,
  InvalidInput,
  UserNotExist,
} from '../info/results';
import { PageInfo, UserConnection, UserEdge } from './results';
import { changeRole } from './roles';
import { searchForm } from './rules';
import { type Role, Role as Roles, User } from './user.entity';

const CURSOR_PREFIX = 'user:';
const SEARCH_MAX = 254;

/**
 * Cursors are opaque to clients: the position (a user id, made as the user is stored: it sorts in
 * the order users were stored, see AccountService.store) encoded.
 */
export function encodeCursor(id: string): string {
  return Buffer.from(CURSOR_PREFIX + id).toString('base64url');
}

/**
 * The id a cursor holds, lower-case as ids are stored: compared as text, the same id in upper case
 * sorts before the stored one, and the page would start there. Null for anything not a cursor.
 */
export function decodeCursor(cursor: string): string | null {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const given = text.startsWith(CURSOR_PREFIX) ? text.slice(CURSOR_PREFIX.length) : '';
  const id = canonicalId(given);
  return id !== null && encodeCursor(given) === cursor ? id : null;
}

/** `prefix%` for LIKE, with LIKE's own wildcards in the prefix taken literally. */
function startsWith(prefix: string): string {
  return `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** Admin-only operations: the user directory and roles. */
export class AdminService {
  async users(
    ctx: Context,
    first: number | null,
    after: string | null | undefined,
    search: string | null | undefined,
  ): Promise<UserConnection | ErrorResult> {
    const caller = await ctx.auth.requireSession();
    if (!(caller instanceof User)) return caller;
    if (caller.role !== Roles.ADMIN) return new InsufficientPermissions('permission.admin');

    const violations: FieldViolation[] = [];
    const size = first ?? 0; // an explicit null is as invalid as 0
    if (!Number.isInteger(size) || size < 1 || size > 100) {
      violations.push(new FieldViolation('first', 'MISSING_REQUIRED_PARAMS', 'users.first'));
    }
    const afterId = after ? decodeCursor(after) : null;
    if (after && !afterId) {
      violations.push(new FieldViolation('after', 'MISSING_REQUIRED_PARAMS', 'users.after'));
    }
    const term = searchForm(search ?? '').trim();
    // No stored name, address or account holds a NUL, and PostgreSQL's text cannot: refused.
    if (term.length > SEARCH_MAX || term.includes('\0')) {
      violations.push(new FieldViolation('search', 'MISSING_REQUIRED_PARAMS', 'users.search'));
    }
    const [firstViolation, ...rest] = violations;
    if (firstViolation) return new InvalidInput([firstViolation, ...rest]);

    const em = ctx.em as SqlEntityManager;
    const matching = em.createQueryBuilder(User);
    if (term) {
      const pattern = startsWith(term);
      matching.where(
        "(username_folded like ? escape '\\' or email_normalized like ? escape '\\' or account like ? escape '\\')",
        [pattern, pattern, pattern],
      );
    }
    const totalCount = await matching.clone().getCount();
    const page = matching.clone();
    if (afterId) page.andWhere({ id: { $gt: afterId } });
    const found = await page
      .orderBy({ id: 'asc' })
      .limit(size + 1)
      .getResultList();

    const users = found.slice(0, size);
    const edges = users.map((node) =>
      Object.assign(new UserEdge(), { cursor: encodeCursor(node.id), node }),
    );
    return Object.assign(new UserConnection(), {
      edges,
      pageInfo: Object.assign(new PageInfo(), {
        hasNextPage: found.length > size,
        endCursor: edges.at(-1)?.cursor ?? null,
      }),
      totalCount,
    });
  }

  async setRole(ctx: Context, userId: string, role: Role): Promise<User | ErrorResult> {
    // SetRoleResult has UserNotExist: a token whose user is gone is 1016 here, as in `me`.
    const caller = await ctx.auth.require();
    if (!(caller instanceof User)) return caller;
    if (caller.role !== Roles.ADMIN) return new InsufficientPermissions('permission.admin');
    const id = canonicalId(userId);
    if (!id) return new UserNotExist();
    const change = await changeRole(ctx.em, id, role, caller.id);
    if (change.ok) return change.user;
    switch (change.reason) {
      case 'last-admin':
        return new InsufficientPermissions('permission.lastAdmin');
      case 'not-admin': // demoted (or deleted) while this request was on its way
        return new InsufficientPermissions('permission.admin');
      case 'not-found':
        return new UserNotExist();
    }
  }
}
