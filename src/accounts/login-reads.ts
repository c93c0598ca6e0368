import {
  type Claim,
  COUNT_ONE,
  countOneWhere,
  type RateLimits,
  tallyOf,
  type Verdict,
} from '../abuse/rate-limits';
import { portableStatement, type PreparedStatements } from '../db/prepared-statements';
import { type User } from './user.entity';
import { USER_COLUMNS, type UserRow, type UserStore, userFromRow } from './user.repository';

/** Who a login names: an account number, or a lower-cased email address. */
export type Lookup = { account: string } | { emailNormalized: string };

/** A user's key in the counters kept per user (wrong passwords at login and elsewhere). */
export const userKey = (userId: string): string => `user:${userId}`;

/**
 * The key for an identifier no user has: a counter of its own, so that with hidden existence it
 * behaves exactly as a real account.
 */
export const unknownKey = (lookup: Lookup): string => `unknown:${JSON.stringify(lookup)}`;

/** What a login reads before its hash. */
export interface LoginRead {
  /** The attempt counted against the client's address (RATE_LIMIT_LOGIN_ADDRESS). */
  address: Verdict;
  user: User | null;
  /**
   * The attempt counted against the account (or the unknown identifier's key) as a possible wrong
   * password, when counted together with the reads; null when it is still to be counted.
   */
  account: Claim | null;
}

/**
 * With the counters in PostgreSQL, what a login reads and counts before its hash is one
 * statement: the attempt counted under the address (COUNT_ONE, as a data-modifying WITH clause),
 * the user, and, for an attempt within the address's limit that will check a password (the user
 * exists, or existence is hidden), the attempt counted as a possible wrong password under the
 * user's key or the unknown identifier's (countOneWhere over the other two clauses' answers). One
 * trip instead of two in a row, and one statement instead of three. PostgreSQL's only: SQLite
 * allows no INSERT in a WITH clause, and keeps its counters in memory anyway.
 */
const loginStatement = (column: 'account' | 'email_normalized') =>
  portableStatement(
    `login_reads_by_${column}`,
    `with hit as (${COUNT_ONE}), ` +
      `found as (select ${USER_COLUMNS} from users u where u.${column} = ?), ` +
      `attempt as (${countOneWhere(
        'hit left join found on true',
        'hit.points <= ? and (found.id is not null or ?::boolean)',
        'coalesce(?::varchar || found.id, ?::varchar)',
      )}) ` +
      'select hit.points as hit_points, hit.expire as hit_expire, ' +
      'attempt.points as attempt_points, attempt.expire as attempt_expire, found.* ' +
      'from hit left join found on true left join attempt on true',
  );
const BY_ACCOUNT = loginStatement('account');
const BY_EMAIL = loginStatement('email_normalized');

/** The columns of BY_ACCOUNT and BY_EMAIL: the user's are null when none has the identifier. */
type LoginRow = (UserRow | Record<keyof UserRow, null>) & {
  hit_points: number;
  hit_expire: string;
  attempt_points: number | null;
  attempt_expire: string | null;
};

/** The reads a login makes before its hash: in one statement where the counters allow it. */
export class LoginReads {
  constructor(
    private readonly statements: PreparedStatements,
    private readonly users: UserStore,
    private readonly limits: RateLimits,
    /** HIDE_ACCOUNT_EXISTENCE: an unknown identifier's password is checked too (against a decoy). */
    private readonly hideAccountExistence: boolean,
  ) {}

  /** Counts the attempt under `address` (an addressKey) and finds the user `lookup` names. */
  async read(lookup: Lookup, address: string): Promise<LoginRead> {
    const { loginAddress, loginAccount } = this.limits;
    const byAddress = loginAddress.inPostgres;
    const byAccount = loginAccount.inPostgres;
    if (!byAddress || !byAccount) {
      const [verdict, user] = await Promise.all([
        loginAddress.hit(address),
        'account' in lookup
          ? this.users.byAccount(lookup.account)
          : this.users.byEmail(lookup.emailNormalized),
      ]);
      return { address: verdict, user, account: null };
    }
    const now = Date.now();
    const [statement, value] =
      'account' in lookup ? [BY_ACCOUNT, lookup.account] : [BY_EMAIL, lookup.emailNormalized];
    const accountKey = [byAccount.stored(userKey('')), byAccount.stored(unknownKey(lookup))];
    const [row] = await this.statements.write<LoginRow>(statement, [
      ...byAddress.countOne(address, now),
      value,
      ...byAccount.countOne(accountKey, now, [loginAddress.count, this.hideAccountExistence]),
    ]);
    const { hit_points, hit_expire, attempt_points, attempt_expire } = row!;
    return {
      address: loginAddress.verdict(tallyOf({ points: hit_points, expire: hit_expire })),
      user: row!.id === null ? null : userFromRow(row!),
      account:
        attempt_points === null
          ? null
          : loginAccount.claim(tallyOf({ points: attempt_points, expire: attempt_expire! })),
    };
  }
}
