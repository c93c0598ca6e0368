import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { Database } from 'sqlite3';
import { CHECKPOINT_EVERY_MS } from '../src/db/orm';
import { registerUser } from './support/accounts';
import { scratchFolder, startServer, type TestServer } from './support/server';
import { eventually } from './support/wait';

/*
 * On SQLite the server copies its write-ahead log into the database file on a timer of its own
 * (src/db/orm.ts), not inside a commit. If that timer stopped, the log would grow without end and
 * the database file would never see a write: a backup that copies the file would miss them all.
 */

// SQLite's own, in the PostgreSQL run of the suite too.
const folder = scratchFolder();
let server: TestServer;
beforeAll(async () => {
  server = await startServer({ DATABASE_URL: `sqlite:${join(folder.path, 'checkpoints.db')}` });
});
afterAll(async () => {
  await server.close();
  folder.remove();
});

/** How many users with `id` the database file alone holds, read from a copy without its WAL. */
async function usersInFileAlone(file: string, id: string): Promise<number> {
  const copy = join(folder.path, 'copy.db');
  copyFileSync(file, copy);
  const database = new Database(copy);
  try {
    return await new Promise((resolve, reject) =>
      database.get<{ n: number }>(
        'select count(*) as n from users where id = ?',
        [id],
        (error, row) => {
          // A file that no checkpoint has reached yet has not even the tables.
          if (error && /no such table/.test(error.message)) resolve(0);
          else if (error) reject(error);
          else resolve(row.n);
        },
      ),
    );
  } finally {
    await new Promise((done) => database.close(done));
  }
}

describe('the WAL while the server runs', () => {
  it('a registration reaches the database file itself within a few checkpoint periods', async () => {
    const { database } = server.config;
    if (database.dialect !== 'sqlite') throw new Error('a SQLite test server was expected');
    const user = await registerUser(server);
    // Not yet in the file: the registration sits in the WAL until the next checkpoint.
    let found = 0;
    await eventually(async () => (found = await usersInFileAlone(database.file, user.id)) > 0, {
      withinMs: 5 * CHECKPOINT_EVERY_MS,
      everyMs: CHECKPOINT_EVERY_MS / 4,
    });
    expect(found).toBe(1);
  });
});
