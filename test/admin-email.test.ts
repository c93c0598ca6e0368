/**
 * ADMIN_EMAIL at start-up, when a user already holds that address: only someone who proved the
 * address is theirs keeps their password on being promoted. Anyone may register an address they
 * do not own, and an unverified one must not turn into admin rights at the next restart.
 */
import { LoginDocument, MeDocument, VerifyEmailDocument } from './generated/graphql';
import { registerUser, type Registered } from './support/accounts';
import { ADMIN_EMAIL, ADMIN_PASSWORD } from './support/admin';
import {
  bearer,
  scratchDatabase,
  scratchFolder,
  startServer,
  type TestServer,
} from './support/server';
import { type Inbox, startInbox, tokenIn } from './support/smtp';

const folder = scratchFolder();
let inbox: Inbox;
beforeAll(async () => {
  inbox = await startInbox();
});
afterAll(async () => {
  await inbox.close();
  folder.remove();
});

/** Registers ADMIN_EMAIL's address on a server without ADMIN_EMAIL, then restarts with it. */
async function registeredBeforeAdminEmail(
  name: string,
  verify: boolean,
  checks: (server: TestServer, user: Registered) => Promise<void>,
): Promise<void> {
  const database = scratchDatabase(`${folder.path}/${name}`);
  const env = { DATABASE_URL: database.url, SMTP_URL: inbox.url };
  try {
    const before = await startServer(env);
    let user: Registered;
    try {
      const seen = inbox.to(ADMIN_EMAIL).length;
      user = await registerUser(before, { email: ADMIN_EMAIL.toUpperCase() });
      const link = tokenIn(await inbox.next(ADMIN_EMAIL, seen));
      if (verify) {
        const { body } = await before.request(VerifyEmailDocument, { token: link });
        expect(body.data?.verifyEmail.__typename).toBe('User');
      }
    } finally {
      await before.close();
    }
    const after = await startServer({ ...env, ADMIN_EMAIL, ADMIN_PASSWORD });
    try {
      await checks(after, user);
    } finally {
      await after.close();
    }
  } finally {
    await database.drop();
  }
}

async function login(server: TestServer, password: string) {
  const { body } = await server.request(LoginDocument, {
    input: { email: ADMIN_EMAIL, password },
  });
  return body.data?.login;
}

it('an unverified holder of ADMIN_EMAIL is not made admin: the account gets ADMIN_PASSWORD, their sessions end', async () => {
  await registeredBeforeAdminEmail('unverified', false, async (server, user) => {
    expect(await login(server, user.password)).toMatchObject({
      __typename: 'WrongPassword',
      infocode: 1008,
    });
    const me = await server.request(MeDocument, {}, bearer(user.token));
    expect(me.body.data?.me).toMatchObject({ __typename: 'InvalidToken', infocode: 1010 });
    expect(await login(server, ADMIN_PASSWORD)).toMatchObject({
      __typename: 'AuthPayload',
      user: { id: user.id, role: 'ADMIN' },
    });
    expect(server.logText()).toContain('ADMIN_EMAIL belonged to a user who never verified it');
  });
});

it('a holder who verified ADMIN_EMAIL is promoted and keeps their password and sessions', async () => {
  await registeredBeforeAdminEmail('verified', true, async (server, user) => {
    expect(await login(server, ADMIN_PASSWORD)).toMatchObject({
      __typename: 'WrongPassword',
      infocode: 1008,
    });
    expect(await login(server, user.password)).toMatchObject({
      __typename: 'AuthPayload',
      user: { id: user.id, role: 'ADMIN' },
    });
    const me = await server.request(MeDocument, {}, bearer(user.token));
    expect(me.body.data?.me).toMatchObject({ __typename: 'User', id: user.id, role: 'ADMIN' });
  });
});
