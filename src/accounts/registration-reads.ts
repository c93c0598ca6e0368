import {
  COUNT_ONE,
  countOneWhere,
  type RateLimits,
  tallyOf,
  type Verdict,
} from '../abuse/rate-limits';
import { portableStatement, type PreparedStatements } from '../db/prepared-statements';
import { type UserStore } from './user.repository';

/** What a registration learns before its hash. */
export interface RegistrationRead {
  /** The attempt counted against the client's address (RATE_LIMIT_REGISTER_ADDRESS). */
  address: Verdict;
  /** Whether a user already has the email address. */
  emailTaken: boolean;
  /**
   * The verification mail counted against its recipient (RATE_LIMIT_MAIL), when counted in the
   * same statement: only for an attempt within the address's limit whose email is free. Absent
   * when the mail is still to be counted (AccountMail.countLink counts it then).
   */
  mail?: Verdict;
}

/**
 * With the counters in PostgreSQL, what a registration reads and counts before its hash is one
 * statement: the attempt counted under the client's address (COUNT_ONE, a data-modifying WITH
 * clause), whether the email is taken, and, only if the attempt is within the limit and the email
 * free, the verification mail counted under its recipient (countOneWhere over the other two
 * clauses' answers). One statement instead of three, and the mail's count no longer a statement
 * of its own beside the hash. PostgreSQL's only, as a login's (src/accounts/login-reads.ts).
 */
const REGISTRATION = portableStatement(
  'registration_reads',
  `with hit as (${COUNT_ONE}), ` +
    'taken as (select exists (select 1 from users where email_normalized = ?) as taken), ' +
    `mail as (${countOneWhere('hit, taken', 'hit.points <= ? and not taken.taken')}) ` +
    'select hit.points as hit_points, hit.expire as hit_expire, taken.taken, ' +
    'mail.points as mail_points, mail.expire as mail_expire ' +
    'from hit cross join taken left join mail on true',
);

interface RegistrationRow {
  hit_points: number;
  hit_expire: string;
  taken: boolean;
  mail_points: number | null;
  mail_expire: string | null;
}

/** The reads a registration makes before its hash: in one statement where the counters allow it. */
export class RegistrationReads {
  constructor(
    private readonly statements: PreparedStatements,
    private readonly users: UserStore,
    private readonly limits: RateLimits,
  ) {}

  /** Counts the attempt under `address` (an addressKey) and checks the (normalized) email. */
  async read(address: string, emailNormalized: string): Promise<RegistrationRead> {
    const { registerAddress, mailRecipient } = this.limits;
    const byAddress = registerAddress.inPostgres;
    const byRecipient = mailRecipient.inPostgres;
    if (!byAddress || !byRecipient) {
      const [verdict, emailTaken] = await Promise.all([
        registerAddress.hit(address),
        this.users.emailTaken(emailNormalized),
      ]);
      return { address: verdict, emailTaken };
    }
    const now = Date.now();
    const [row] = await this.statements.write<RegistrationRow>(REGISTRATION, [
      ...byAddress.countOne(address, now),
      emailNormalized,
      ...byRecipient.countOne(emailNormalized, now, [registerAddress.count]),
    ]);
    const { hit_points, hit_expire, taken, mail_points, mail_expire } = row!;
    const addressVerdict = registerAddress.verdict(
      tallyOf({ points: hit_points, expire: hit_expire }),
    );
    if (mail_points === null) return { address: addressVerdict, emailTaken: taken };
    return {
      address: addressVerdict,
      emailTaken: taken,
      mail: mailRecipient.verdict(tallyOf({ points: mail_points, expire: mail_expire! })),
    };
  }
}
