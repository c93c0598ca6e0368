import { existsSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { LoginDocument, MeDocument, RegisterDocument, UserByIdDocument } from './generated/graphql';
import { registerUser, type Registered } from './support/accounts';
import { bearer, ON_POSTGRESQL, scratchFolder, startServer } from './support/server';

const folder = scratchFolder();
afterAll(() => folder.remove());

describe('a SQLite file keeps everything across restarts', () => {
  it('a restarted server keeps every user, and tokens signed before still verify', async () => {
    const env = {
      DATABASE_URL: `sqlite:${join(folder.path, 'restart', 'accounts.sqlite')}`,
      JWT_SECRET: '',
    };
    const first = await startServer(env);
    const users: Registered[] = [];
    for (let i = 0; i < 3; i++) users.push(await registerUser(first));
    await first.close();

    // No JWT_SECRET: outside production the secret is generated once and kept beside the file.
    expect(existsSync(join(folder.path, 'restart', 'jwt-secret'))).toBe(true);

    const second = await startServer(env);
    try {
      for (const user of users) {
        const login = await second.request(LoginDocument, {
          input: { account: user.account, password: user.password },
        });
        expect(login.body.data!.login.__typename).toBe('AuthPayload');
        const me = await second.request(MeDocument, {}, bearer(user.token));
        const result = me.body.data!.me;
        if (result.__typename !== 'User') throw new Error(result.__typename);
        expect(result).toMatchObject({ id: user.id, account: user.account, email: user.email });
      }
    } finally {
      await second.close();
    }
  });

  it('a login with a hash made under other argon2 parameters re-hashes it at today’s', async () => {
    const env = { DATABASE_URL: `sqlite:${join(folder.path, 'rehash', 'accounts.sqlite')}` };
    // OWASP's 19 MiB row, the default before 7 MiB: its passes default to that row's two.
    const before = await startServer({ ...env, ARGON2_MEMORY_KIB: '19456' });
    const user = await registerUser(before);
    await before.close();

    const today = await startServer(env);
    try {
      const hashOf = async (): Promise<string> => {
        const rows = (await today.app.orm.em
          .getConnection()
          .execute('select password_hash from users where id = ?', [user.id])) as {
          password_hash: string;
        }[];
        return rows[0]!.password_hash;
      };
      expect(await hashOf()).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
      const login = await today.request(LoginDocument, {
        input: { email: user.email, password: user.password },
      });
      expect(login.body.data!.login.__typename).toBe('AuthPayload');
      expect(await hashOf()).toMatch(/^\$argon2id\$v=19\$m=7168,p=1,t=5\$/);
      const again = await today.request(LoginDocument, {
        input: { email: user.email, password: user.password },
      });
      expect(again.body.data!.login.__typename).toBe('AuthPayload');
    } finally {
      await today.close();
    }
  });

  it('one password of two users is stored under two different 16-byte salts', async () => {
    const server = await startServer();
    try {
      const password = 'one password for two';
      const users = [
        await registerUser(server, { password }),
        await registerUser(server, { password }),
      ];
      const salts: string[] = [];
      for (const user of users) {
        const rows = (await server.app.orm.em
          .getConnection()
          .execute('select password_hash from users where id = ?', [user.id])) as {
          password_hash: string;
        }[];
        // $argon2id$v=19$m=...,t=...,p=...$<salt>$<hash>, both unpadded base64
        salts.push(rows[0]!.password_hash.split('$')[4]!);
      }
      expect(salts.map((salt) => Buffer.from(salt, 'base64').length)).toEqual([16, 16]);
      expect(salts[0]).not.toBe(salts[1]);
    } finally {
      await server.close();
    }
  });

  it('closing the server closes the database file, after every pooled connection served reads', async () => {
    const file = join(folder.path, 'release', 'accounts.sqlite');
    const server = await startServer({ DATABASE_URL: `sqlite:${file}`, DATABASE_POOL_SIZE: '4' });
    const user = await registerUser(server);
    // Enough reads at once that every pooled connection prepares and keeps its statements.
    const reads = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        i % 2
          ? server.request(MeDocument, {}, bearer(user.token))
          : server.request(UserByIdDocument, { id: user.id }),
      ),
    );
    for (const { body } of reads) expect(body.extensions).toEqual({ infocode: 1000, info: 'OK' });
    await server.close();

    // SQLite refuses to close a connection that still has prepared statements: it would stay open.
    const open = readdirSync('/proc/self/fd').flatMap((fd) => {
      try {
        return [readlinkSync(`/proc/self/fd/${fd}`)];
      } catch {
        return []; // closed while listing
      }
    });
    expect(open.filter((target) => target.startsWith(file))).toEqual([]);
    // The last connection to close folds the WAL back into the file and removes it.
    expect(existsSync(`${file}-wal`)).toBe(false);
  });

  it('argon2 settings under OWASP’s minimum for their memory stop start-up', async () => {
    await expect(startServer({ ARGON2_MEMORY_KIB: '7000' })).rejects.toThrow(
      'ARGON2_MEMORY_KIB must be a whole number from 7168 to 4194304; got "7000"',
    );
    await expect(startServer({ ARGON2_TIME_COST: '4' })).rejects.toThrow(
      /^ARGON2_TIME_COST must be at least 5 with ARGON2_MEMORY_KIB=7168 /,
    );
    // 19 MiB passes twice, not once: the passes a memory needs come from OWASP's row for it.
    await expect(
      startServer({ ARGON2_MEMORY_KIB: '19456', ARGON2_TIME_COST: '1' }),
    ).rejects.toThrow(/^ARGON2_TIME_COST must be at least 2 with ARGON2_MEMORY_KIB=19456 /);
  });
});

describe('1007 ACCOUNT_GENERATION_ERROR', () => {
  const env = () => ({
    DATABASE_URL: `sqlite:${join(folder.path, 'generation', 'accounts.sqlite')}`,
  });

  it('is the answer when the account cannot be stored, and nothing is stored', async () => {
    const server = await startServer(env());
    const connection = server.app.orm.em.getConnection();
    try {
      await connection.execute(
        "create trigger refuse_users before insert on users begin select raise(abort, 'disk full'); end",
      );
      const input = { username: 'Nobody', email: 'nobody@example.com', password: 'no room at all' };
      const { body } = await server.request(RegisterDocument, { input });
      const result = body.data!.register;
      if (result.__typename !== 'AccountGenerationError') throw new Error(result.__typename);
      expect(result).toMatchObject({ infocode: 1007, info: 'ACCOUNT_GENERATION_ERROR' });
      expect(result.message).not.toMatch(/disk full|insert|SQLITE/i);
      expect(body.errors).toBeUndefined();
      expect(body.extensions).toEqual({ infocode: 1007, info: 'ACCOUNT_GENERATION_ERROR' });
      expect(server.logText()).not.toContain('$argon2id$');

      await connection.execute('drop trigger refuse_users');
      const retry = await server.request(RegisterDocument, { input });
      expect(retry.body.data!.register.__typename).toBe('AuthPayload');
    } finally {
      await server.close();
    }
  });

  it('a registration whose first session cannot be stored leaves no account and sends no mail', async () => {
    // On the suite's database: one statement in either dialect.
    const server = await startServer();
    const connection = server.app.orm.em.getConnection();
    const refuse = ON_POSTGRESQL
      ? [
          "create function refuse_session() returns trigger language plpgsql as $$ begin raise exception 'disk full'; end $$",
          'create trigger refuse_sessions before insert on sessions for each row execute function refuse_session()',
        ]
      : [
          "create trigger refuse_sessions before insert on sessions begin select raise(abort, 'disk full'); end",
        ];
    try {
      for (const statement of refuse) await connection.execute(statement);
      const input = {
        username: 'Halfway',
        email: 'halfway@example.com',
        password: 'all or nothing',
      };
      const { body } = await server.request(RegisterDocument, { input });
      expect(body.data!.register).toMatchObject({
        infocode: 1007,
        info: 'ACCOUNT_GENERATION_ERROR',
      });

      await connection.execute(
        'drop trigger refuse_sessions' + (ON_POSTGRESQL ? ' on sessions' : ''),
      );
      // The address is free: no user row stayed behind without its session.
      const retry = await server.request(RegisterDocument, { input });
      expect(retry.body.data!.register.__typename).toBe('AuthPayload');
      await server.app.mail.idle();
      // One registration stored, one mail: the failed one mailed no link.
      expect(readdirSync(server.config.mail.outbox)).toHaveLength(1);
    } finally {
      await server.close();
    }
  });

  it('is the answer after every retry of the account number collides', async () => {
    const server = await startServer(env());
    const connection = server.app.orm.em.getConnection();
    try {
      // The database says every number is taken, as a full account space would.
      await connection.execute(
        "create trigger collide before insert on users begin select raise(abort, 'UNIQUE constraint failed: users.account'); end",
      );
      const input = {
        username: 'Unlucky',
        email: 'unlucky@example.com',
        password: 'always taken 1',
      };
      const { body } = await server.request(RegisterDocument, { input });
      expect(body.data!.register).toMatchObject({
        __typename: 'AccountGenerationError',
        infocode: 1007,
      });
      const retries = server.logs.filter(
        (line) => line.msg === 'account number collision; retrying',
      );
      expect(retries).toHaveLength(5);
      await connection.execute('drop trigger collide');
    } finally {
      await server.close();
    }
  });
});
