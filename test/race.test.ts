/**
 * CONTRACT section 3: emails are unique case-insensitively, and the database decides a race.
 * 50 registrations of one address, in different cases, at once: exactly one wins, every other one
 * is MailboxOccupied (1012) as a result, never an error or a 500, and only the winner's password
 * logs in afterwards.
 */
import {
  ChangePasswordDocument,
  DeleteAccountDocument,
  LoginDocument,
  RegisterDocument,
} from './generated/graphql';
import { registerUser } from './support/accounts';
import { fillHashLine, inLine } from './support/hash-line';
import { bearer, startServer, type TestServer } from './support/server';

let server: TestServer;
beforeAll(async () => {
  // 50 registrations from one address: the registration rate limit is not what is tested here.
  server = await startServer({ RATE_LIMIT: 'off' });
});
afterAll(() => server.close());

const EMAIL = 'race@example.com';
const COUNT = 50;

/** The i-th case variant: the first three are the obvious ones, the rest flip letters by i's bits. */
function variant(i: number): string {
  const fixed = ['Race@Example.com', 'race@example.com', 'RACE@EXAMPLE.COM'];
  if (i < fixed.length) return fixed[i]!;
  let letter = 0;
  return [...EMAIL]
    .map((char) => {
      if (!/[a-z]/.test(char)) return char;
      const upper = ((i * 2654435761) >>> (letter++ % 31)) & 1;
      return upper ? char.toUpperCase() : char;
    })
    .join('');
}

const passwordOf = (i: number) => `racer-${i}-secret-pw`;

describe('concurrent registration with one email in many cases', () => {
  it('variants are all the same address, in several spellings', () => {
    const variants = Array.from({ length: COUNT }, (_, i) => variant(i));
    expect(variants.every((v) => v.toLowerCase() === EMAIL)).toBe(true);
    expect(new Set(variants).size).toBeGreaterThan(10);
  });

  it('exactly one wins; the other 49 are MailboxOccupied 1012, with no errors and no non-200', async () => {
    const responses = await Promise.all(
      Array.from({ length: COUNT }, (_, i) =>
        server.request(RegisterDocument, {
          input: { username: `Racer ${i}`, email: variant(i), password: passwordOf(i) },
        }),
      ),
    );

    expect(responses.map((r) => r.status)).toEqual(Array(COUNT).fill(200));
    expect(responses.filter((r) => r.body.errors !== undefined).map((r) => r.body.errors)).toEqual(
      [],
    );

    const typenames = responses.map((r) => r.body.data?.register.__typename);
    const winners = typenames.flatMap((name, i) => (name === 'AuthPayload' ? [i] : []));
    expect(winners).toHaveLength(1);
    expect(typenames.filter((name) => name === 'MailboxOccupied')).toHaveLength(COUNT - 1);

    for (const [i, response] of responses.entries()) {
      const result = response.body.data!.register;
      if (i === winners[0]) {
        expect(response.body.extensions).toEqual({ infocode: 1000, info: 'OK' });
        continue;
      }
      expect(result).toMatchObject({
        __typename: 'MailboxOccupied',
        infocode: 1012,
        info: 'MAILBOX_OCCUPIED',
      });
      expect(response.body.extensions).toEqual({ infocode: 1012, info: 'MAILBOX_OCCUPIED' });
    }

    const winner = winners[0]!;
    const payload = responses[winner]!.body.data!.register;
    if (payload.__typename !== 'AuthPayload') throw new Error(payload.__typename);
    expect(payload.user.email?.toLowerCase()).toBe(EMAIL);
    expect(payload.user.username).toBe(`Racer ${winner}`);

    // The winner's password logs in, by the email in any case.
    for (const email of ['race@example.com', 'RACE@example.COM', variant(winner)]) {
      const login = await server.request(LoginDocument, {
        input: { email, password: passwordOf(winner) },
      });
      const result = login.body.data?.login;
      expect(result).toMatchObject({ __typename: 'AuthPayload' });
      if (result?.__typename !== 'AuthPayload') continue;
      expect(result.user.id).toBe(payload.user.id);
      expect(result.user.account).toBe(payload.user.account);
      expect(login.body.extensions).toEqual({ infocode: 1000, info: 'OK' });
    }

    // No loser's registration was stored or overwrote the winner: their passwords are wrong.
    const losers = Array.from({ length: COUNT }, (_, i) => i).filter((i) => i !== winner);
    const loserLogins = await Promise.all(
      losers.map((i) =>
        server.request(LoginDocument, { input: { email: variant(i), password: passwordOf(i) } }),
      ),
    );
    expect(loserLogins.map((r) => r.body.data?.login.__typename)).toEqual(
      Array(losers.length).fill('WrongPassword'),
    );

    // And the address stays taken afterwards.
    const late = await server.request(RegisterDocument, {
      input: { username: 'Late Racer', email: 'rAcE@eXaMpLe.CoM', password: 'late-racer-secret' },
    });
    expect(late.body.data?.register).toMatchObject({
      __typename: 'MailboxOccupied',
      infocode: 1012,
    });
  });
});

describe('a login whose hash waits while its account is deleted', () => {
  it('is WrongPassword, not an internal error, and leaves nothing behind', async () => {
    const single = await startServer({ RATE_LIMIT: 'off', PASSWORD_HASH_CONCURRENCY: '1' });
    try {
      const user = await registerUser(single);
      // One hash at a time, in line: the deletion's check first, then the login's.
      const ahead = await fillHashLine(single);
      const { answer: deleting } = await inLine(() =>
        single.request(DeleteAccountDocument, { password: user.password }, bearer(user.token)),
      );
      const login = single.request(LoginDocument, {
        input: { account: user.account, password: user.password },
      });
      expect((await deleting).body.data?.deleteAccount.__typename).toBe('AccountDeleted');
      const { body } = await login;
      expect(body.errors).toBeUndefined();
      // In line behind the deletion it is refused; had it hashed first (the line did not hold
      // under load), it signed in before the account went. Never an internal error.
      expect(['WrongPassword', 'AuthPayload']).toContain(body.data?.login.__typename);
      await Promise.all(ahead);
      const again = await single.request(LoginDocument, {
        input: { account: user.account, password: user.password },
      });
      expect(again.body.data?.login.__typename).toBe('UserNotExist');
    } finally {
      await single.close();
    }
  });
});

// A password check is written against the hash it checked: a request in flight with the old
// password cannot undo a change made meanwhile (the owner locking out someone who knew it).
describe('password changes at once from the same current password', () => {
  it('exactly one wins; the others are WrongPassword, and only the winner’s password logs in', async () => {
    const user = await registerUser(server);
    const chosen = ['first new passphrase', 'second new passphrase', 'third new passphrase'];
    const answers = await Promise.all(
      chosen.map((newPassword) =>
        server.request(
          ChangePasswordDocument,
          { currentPassword: user.password, newPassword },
          bearer(user.token),
        ),
      ),
    );
    const outcomes = answers.map(({ body }) => body.data?.changePassword.__typename);
    expect(outcomes.filter((name) => name === 'AuthPayload')).toHaveLength(1);
    expect(outcomes.filter((name) => name === 'WrongPassword')).toHaveLength(chosen.length - 1);
    const winner = outcomes.indexOf('AuthPayload');

    const logins = await Promise.all(
      [user.password, ...chosen].map(async (password) => {
        const { body } = await server.request(LoginDocument, {
          input: { account: user.account, password },
        });
        return body.data?.login.__typename;
      }),
    );
    expect(logins).toEqual(
      ['WrongPassword', ...chosen].map((_, i) =>
        i === winner + 1 ? 'AuthPayload' : 'WrongPassword',
      ),
    );
  });

  it('an account deleted with the old password while it changes stays, or goes, whole', async () => {
    const user = await registerUser(server);
    const [changed, deleted] = await Promise.all([
      server.request(
        ChangePasswordDocument,
        { currentPassword: user.password, newPassword: 'a fresh new passphrase' },
        bearer(user.token),
      ),
      server.request(DeleteAccountDocument, { password: user.password }, bearer(user.token)),
    ]);
    const change = changed.body.data?.changePassword.__typename;
    const deletion = deleted.body.data?.deleteAccount.__typename;
    // One of them acted on the password both checked; the other found it gone.
    expect([change, deletion].sort()).toEqual(
      change === 'AuthPayload'
        ? ['AuthPayload', 'WrongPassword']
        : ['AccountDeleted', 'WrongPassword'],
    );
    const { body } = await server.request(LoginDocument, {
      input: { account: user.account, password: 'a fresh new passphrase' },
    });
    expect(body.data?.login.__typename).toBe(
      change === 'AuthPayload' ? 'AuthPayload' : 'UserNotExist',
    );
  });
});
