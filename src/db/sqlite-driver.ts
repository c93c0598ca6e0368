import { type Knex, SqliteKnexDialect } from '@mikro-orm/knex';
import {
  AbstractSqlDriver,
  type Configuration,
  SqliteConnection,
  SqlitePlatform,
  type Transaction,
} from '@mikro-orm/sqlite';
import { type Database } from 'sqlite3';
import { type Release, Semaphore } from '../semaphore';
import { forgetStatementsOf } from './sqlite-statements';

const WRITE = /^\s*(insert|update|delete|replace)\b/i;

/**
 * knex's SQLite dialect, finalizing a connection's kept statements (PreparedStatements) before it
 * closes, and closing connections one at a time. The last connection to close checkpoints the WAL
 * into the file and removes it, but only if no other connection holds the file at that moment:
 * closed at once on two threads, each saw the other and both left the WAL behind.
 */
class KeptStatementsDialect extends SqliteKnexDialect {
  private closing: Promise<unknown> = Promise.resolve();

  destroyRawConnection(connection: Database): Promise<void> {
    const closed = this.closing.then(async () => {
      await forgetStatementsOf(connection);
      await (super.destroyRawConnection as (connection: Database) => Promise<void>)(connection);
    });
    this.closing = closed.catch(() => undefined);
    return closed;
  }
}

/**
 * SQLite admits one writer at a time. Left alone, a second connection that wants to write waits in
 * SQLite's busy handler, asleep on a libuv threadpool thread; with enough of them asleep (or busy
 * hashing passwords) the writer holding the lock gets no thread to COMMIT on, and every write
 * stalls for the whole busy timeout. So write transactions, and writes outside one, take turns
 * here in JavaScript, where waiting costs nothing, and a thread only ever runs a statement that
 * can proceed. Readers are not involved: in WAL mode they never wait for the writer.
 */
export class SingleWriterConnection extends SqliteConnection {
  private readonly writes = new Semaphore(1);
  private readonly held = new WeakMap<object, Release>();

  override createKnex(): void {
    this.client = this.createKnexClient(KeptStatementsDialect as unknown as string);
    this.connected = true;
  }

  override async begin(
    options: Parameters<SqliteConnection['begin']>[0] = {},
  ): Promise<Knex.Transaction> {
    if (options.ctx) return super.begin(options); // a savepoint inside a transaction with its turn
    const release = await this.writes.acquire();
    try {
      const trx = await super.begin(options);
      this.held.set(trx, release);
      return trx;
    } catch (error) {
      release();
      throw error;
    }
  }

  override async commit(ctx: Knex.Transaction, ...rest: RestOf<'commit'>): Promise<void> {
    try {
      await super.commit(ctx, ...rest);
    } finally {
      this.endTurn(ctx);
    }
  }

  override async rollback(ctx: Knex.Transaction, ...rest: RestOf<'rollback'>): Promise<void> {
    try {
      await super.rollback(ctx, ...rest);
    } finally {
      this.endTurn(ctx);
    }
  }

  override async execute<T>(
    query: string | Knex.QueryBuilder | Knex.Raw,
    params?: unknown[],
    method?: 'all' | 'get' | 'run',
    ctx?: Transaction,
    ...rest: unknown[]
  ): Promise<T> {
    const run = () =>
      (super.execute as (...args: unknown[]) => Promise<T>).call(
        this,
        query,
        params,
        method,
        ctx,
        ...rest,
      );
    if (ctx || typeof query !== 'string' || !WRITE.test(query)) return run();
    return this.writes.run(run);
  }

  /** Runs `work`, a write of its own (outside MikroORM), in the writers' turn. */
  inWriteTurn<T>(work: () => Promise<T>): Promise<T> {
    return this.writes.run(work);
  }

  private endTurn(ctx: Knex.Transaction): void {
    const release = this.held.get(ctx);
    if (release) {
      this.held.delete(ctx);
      release();
    }
  }
}

type RestOf<M extends 'commit' | 'rollback'> =
  Parameters<SqliteConnection[M]> extends [unknown, ...infer R] ? R : never;

/** MikroORM's SQLite driver with the connection above. */
export class SingleWriterSqliteDriver extends AbstractSqlDriver<SingleWriterConnection> {
  constructor(config: Configuration) {
    super(config, new SqlitePlatform(), SingleWriterConnection, ['knex', 'sqlite3']);
  }
}
