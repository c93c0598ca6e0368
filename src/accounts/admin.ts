import { type EntityManager } from '@mikro-orm/core';
import { ConfigError, type Config } from '../config';
import { type Logger } from '../logger';
import { type Sessions } from '../sessions/sessions';
import { type AccountService } from './account.service';
import * as rules from './rules';
import { Role, User } from './user.entity';

/**
 * ADMIN_EMAIL + ADMIN_PASSWORD: make sure an admin with that email exists. An existing user with
 * that email who verified it (or is already an admin) is promoted and keeps their password; one
 * who never verified it may be anyone who typed the address first, so their account becomes the
 * operator's: ADMIN_PASSWORD, every session ended. Otherwise one is created with ADMIN_PASSWORD.
 */
export async function ensureAdmin(
  em: EntityManager,
  admin: NonNullable<Config['admin']>,
  accounts: AccountService,
  sessions: Sessions,
  logger: Logger,
): Promise<void> {
  const email = rules.email(admin.email, 'ADMIN_EMAIL');
  if (!email.ok) throw new ConfigError('ADMIN_EMAIL is not a valid email address');
  const existing = await em.findOne(User, { emailNormalized: email.value.normalized });
  if (existing && existing.role !== Role.ADMIN && !existing.emailVerified) {
    const password = adminPassword(admin, email.value.address, existing.username);
    const passwordHash = await accounts.hashPassword(password);
    await em.transactional(async (tx) => {
      await tx.nativeUpdate(
        User,
        { id: existing.id },
        { role: Role.ADMIN, emailVerified: true, passwordHash, updatedAt: new Date() },
      );
      await sessions.endAll(tx, existing.id);
    });
    logger.warn(
      { userId: existing.id },
      'ADMIN_EMAIL belonged to a user who never verified it: promoted to ADMIN with ' +
        'ADMIN_PASSWORD, their sessions ended',
    );
    return;
  }
  if (existing) {
    if (existing.role !== Role.ADMIN || !existing.emailVerified) {
      // The operator vouches for ADMIN_EMAIL, so it counts as verified.
      await em.nativeUpdate(User, { id: existing.id }, { role: Role.ADMIN, emailVerified: true });
      if (existing.role !== Role.ADMIN) {
        logger.info({ userId: existing.id }, 'ADMIN_EMAIL user promoted to ADMIN');
      }
    }
    return;
  }
  const username = 'Admin';
  const password = adminPassword(admin, email.value.address, username);
  const stored = await accounts.store(
    {
      username,
      email: email.value,
      passwordHash: await accounts.hashPassword(password),
      avatar: null,
      introduction: null,
      role: Role.ADMIN,
      emailVerified: true, // the operator vouches for ADMIN_EMAIL
    },
    null,
  );
  // Another instance starting at the same moment may have created it first; that is success too.
  if (!stored.ok && stored.reason !== 'email-taken')
    throw new Error('could not create the ADMIN_EMAIL user');
  if (stored.ok)
    logger.info({ userId: stored.user.id, account: stored.user.account }, 'admin created');
}

/** ADMIN_PASSWORD, held to the password rules for the admin's email and username. */
function adminPassword(
  admin: NonNullable<Config['admin']>,
  email: string,
  username: string,
): string {
  const password = rules.newPassword(admin.password, { email, username });
  if (!password.ok) {
    throw new ConfigError(
      `ADMIN_PASSWORD does not meet the password rules (${password.violation.messageKey})`,
    );
  }
  return password.value;
}
