import { type Database, type Statement } from 'sqlite3';

/**
 * One SQLite connection's prepared statements, kept by SQL text: the few fixed statements of
 * PreparedStatements, so the cache needs no bound. node-sqlite3's `db.all(sql, ...)`
 * prepares, runs and finalizes: three trips through the threadpool per query. A kept statement
 * is prepared once; each query after that is one bind-and-step trip. `all` steps the statement to
 * its end, so it never holds a read transaction open between queries.
 *
 * A statement may come with `setup`: SQL the connection runs once, before preparing it (the
 * temporary view and trigger a statement inserts through, say). It makes nothing but temporary
 * objects, which live and die with the connection, as its prepared statements do.
 */
export class StatementCache {
  private readonly kept = new Map<string, Promise<Statement>>();

  constructor(private readonly db: Database) {}

  async all<Row>(sql: string, params: readonly unknown[], setup?: string): Promise<Row[]> {
    const statement = await this.statement(sql, setup);
    return new Promise((resolve, reject) =>
      statement.all(params, (error: Error | null, rows: Row[]) =>
        error ? reject(error) : resolve(rows),
      ),
    );
  }

  /** Finalizes every kept statement: SQLite refuses to close a connection that has any. */
  async finalizeAll(): Promise<void> {
    const statements = [...this.kept.values()];
    this.kept.clear();
    await Promise.all(statements.map((statement) => statement.then(finalize, () => undefined)));
  }

  private statement(sql: string, setup: string | undefined): Promise<Statement> {
    const known = this.kept.get(sql);
    if (known) return known;
    const prepare = () =>
      new Promise<Statement>((resolve, reject) => {
        const statement = this.db.prepare(sql, (error: Error | null) =>
          error ? reject(error) : resolve(statement),
        );
      });
    const prepared = setup
      ? new Promise<void>((done, fail) =>
          this.db.exec(setup, (error: Error | null) => (error ? fail(error) : done())),
        ).then(prepare)
      : prepare();
    // A statement that does not compile (or whose setup fails) is not kept: the next attempt
    // reports its own error.
    prepared.catch(() => this.kept.get(sql) === prepared && this.kept.delete(sql));
    this.kept.set(sql, prepared);
    return prepared;
  }
}

function finalize(statement: Statement): Promise<void> {
  return new Promise((done) => statement.finalize(() => done()));
}

const caches = new WeakMap<Database, StatementCache>();

/** The statements kept for this connection. */
export function statementsOf(connection: Database): StatementCache {
  let cache = caches.get(connection);
  if (!cache) {
    cache = new StatementCache(connection);
    caches.set(connection, cache);
  }
  return cache;
}

/** Before a connection closes: finalizes what it kept. */
export async function forgetStatementsOf(connection: Database): Promise<void> {
  await caches.get(connection)?.finalizeAll();
  caches.delete(connection);
}
