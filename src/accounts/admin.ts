import { type EntityManager } from '@mikro-orm/core';
import { ConfigError, type Config } from '../config';
import { type Logger } from '../logger';
import { type AccountService } from './account.service';
import * as rules from './rules';
import { Role, User } from './user.entity';

/**
 * ADMIN_EMAIL + ADMIN_PASSWORD: make sure an admin with that email exists. An existing user with
 * that email is promoted and keeps their password; otherwise one is created with ADMIN_PASSWORD.
 */
export async function ensureAdmin(
  em: EntityManager,
  admin: NonNullable<Config['admin']>,
  accounts: AccountService,
  logger: Logger,
): Promise<void> {
  const email = rules.email(admin.email, 'ADMIN_EMAIL');
  if (!email.ok) throw new ConfigError('ADMIN_EMAIL is not a valid email address');
  const existing = await em.findOne(User, { emailNormalized: email.value.normalized });
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
  const password = rules.newPassword(admin.password, { email: email.value.address, username });
  if (!password.ok) {
    throw new ConfigError(
      `ADMIN_PASSWORD does not meet the password rules (${password.violation.messageKey})`,
    );
  }
  const stored = await accounts.store(
    {
      username,
      email: email.value,
      passwordHash: await accounts.hashPassword(password.value),
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
