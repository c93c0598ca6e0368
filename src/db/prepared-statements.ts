import { type IDatabaseDriver, type MikroORM } from '@mikro-orm/core';
import { type Knex } from '@mikro-orm/knex';
import { PostgreSqlPlatform } from '@mikro-orm/postgresql';
import { type SqlEntityManager } from '@mikro-orm/sqlite';
import { type Database } from 'sqlite3';
import { type SingleWriterConnection } from './sqlite-driver';
import { statementsOf } from './sqlite-statements';

export type Dialect = 'sqlite' | 'postgresql';

/** A statement on the hot path, in each dialect's SQL, with a name unique among them. */
export interface PreparedStatement {
  readonly name: string;
  /** With `?` placeholders. */
  readonly sqlite: string;
  /** With `$1`, `$2`, … placeholders. */
  readonly postgresql: string;
  /**
   * SQLite SQL a connection runs once before it first prepares `sqlite`; it may make only
   * temporary objects (see StatementCache).
   */
  readonly sqliteSetup?: string;
}

/** A statement whose SQL is the same in both dialects but for the placeholders (written as `?`). */
export function portableStatement(name: string, sql: string): PreparedStatement {
  let n = 0;
  return { name, sqlite: sql, postgresql: sql.replace(/\?/g, () => `$${++n}`) };
}

/** One new row: its table, its columns, and its values in the order of the columns. */
export interface RowInsert {
  readonly table: string;
  readonly columns: readonly string[];
  readonly values: readonly unknown[];
}

/** `insert into table (columns) values (?, ...)`, with `tail` after it (an `on conflict`, say). */
export function insertStatement(
  name: string,
  table: string,
  columns: readonly string[],
  tail = '',
): PreparedStatement {
  return portableStatement(name, insertSql(table, columns) + tail);
}

/** An INSERT of one row; each value is `value()`'s text, a `?` placeholder unless told. */
function insertSql(table: string, columns: readonly string[], value = () => '?'): string {
  return `insert into ${table} (${columns.join(', ')}) values (${columns.map(value).join(', ')})`;
}

/**
 * The one statement that inserts the rows, so that they exist together or not at all: a statement
 * is atomic, and one statement is one trip to the database. For several rows, PostgreSQL's is each
 * row's INSERT but the last as a data-modifying WITH clause; they run in one snapshot and check
 * foreign keys at the end of the statement, so a row may refer to another of the same statement.
 * SQLite has no such clauses: there the statement inserts one row into a temporary view (`name`,
 * one column per value) whose INSTEAD OF trigger inserts each row in the order given, and a
 * constraint that fails in the trigger undoes the whole statement. The view and trigger are made
 * from the same tables and columns as the PostgreSQL text, once per connection.
 */
function rowsStatement(name: string, rows: readonly RowInsert[]): PreparedStatement {
  const inserts = rows.map((row) => insertSql(row.table, row.columns));
  const last = inserts.pop()!;
  if (inserts.length === 0) return portableStatement(name, last);
  const withs = inserts.map((insert, at) => `r${at} as (${insert})`).join(', ');
  let n = 0;
  const triggered = rows.map((row) => `${insertSql(row.table, row.columns, () => `new.c${n++}`)};`);
  const view = Array.from({ length: n }, (_, at) => `c${at}`);
  const nulls = view.map((column) => `null as ${column}`).join(', ');
  return {
    ...portableStatement(name, `with ${withs} ${last}`),
    sqlite: insertSql(`temp.${name}`, view),
    sqliteSetup:
      `create temp view if not exists ${name} as select ${nulls}; ` +
      `create temp trigger if not exists ${name}_rows instead of insert on ${name} ` +
      `begin ${triggered.join(' ')} end;`,
  };
}

/**
 * What makes a statement's commit `deferred`: its RETURNING clause sets synchronous_commit for
 * its own transaction (set_config's third argument), which a statement outside BEGIN ... COMMIT
 * is, before that transaction commits. It returns one row per row written.
 */
const DEFERRED = " returning set_config('synchronous_commit', 'off', true)";

/**
 * `statement` (with no RETURNING clause) committed `deferred` on PostgreSQL, where it then answers
 * one row for each row it wrote. A write's answer otherwise waits until its commit is on disk;
 * deferred, it comes once the commit is made and visible to every connection, and PostgreSQL's
 * WAL writer puts it on disk within a few hundred milliseconds (`synchronous_commit = off` for
 * that one transaction; wal_writer_delay). A crash of the database in that moment loses that
 * write and no other: nothing is left half-written, and a later write that waits puts every
 * earlier commit on disk first. Every SQLite write commits this way already (WAL with
 * `synchronous = NORMAL`).
 */
export function deferred(statement: PreparedStatement): PreparedStatement {
  return { ...statement, postgresql: statement.postgresql + DEFERRED };
}

interface PostgresClient {
  query(
    config: { name: string; text: string; values: readonly unknown[] },
    done: (error: Error | null, result: { rows: unknown[] }) => void,
  ): void;
}

/**
 * A pg query in its callback form. Its promise form (no callback) sets the query's callback after
 * making the query, and with that V8 came to allocate what each answer makes straight in the old
 * generation (allocation-site pretenuring): a loop of these reads promoted 4.2 KB a query against
 * 84 bytes with the callback given up front, and the server answering `me` on PostgreSQL filled
 * its old generation nine times faster, a mark-compact every few seconds (docs/speed.md).
 */
function queried(
  connection: PostgresClient,
  statement: PreparedStatement,
  params: readonly unknown[],
): Promise<unknown[]> {
  return new Promise((resolve, reject) =>
    connection.query(
      { name: statement.name, text: statement.postgresql, values: params },
      (error, result) => (error ? reject(error) : resolve(result.rows)),
    ),
  );
}

/**
 * Statements that nearly every request makes (the caller by token, a user by id, a profile
 * update, the inserts of a sign-in), prepared once per pooled connection and run with bound
 * parameters. MikroORM writes each parameter into the SQL text and runs it through knex, so the
 * database parses and plans every query anew and the ORM spends more time around the query than
 * SQLite spends on it; these skip all of that. They borrow
 * connections from the same pool as the ORM, so DATABASE_POOL_SIZE still bounds the total.
 *
 * SQLite keeps each connection's statements (src/db/sqlite-statements.ts); PostgreSQL keeps named
 * statements per connection by itself.
 */
export class PreparedStatements {
  readonly dialect: Dialect;
  private readonly client: Knex.Client;
  private readonly driver: IDatabaseDriver;
  /**
   * insertRows's statements by name, which their tables make: each table's rows come from one
   * place with one column list, so the same tables always make the same statement.
   */
  private readonly inserts = new Map<string, PreparedStatement>();

  constructor(orm: MikroORM) {
    const em = orm.em as SqlEntityManager;
    this.client = em.getKnex().client as Knex.Client;
    this.driver = em.getDriver();
    this.dialect = em.getPlatform() instanceof PostgreSqlPlatform ? 'postgresql' : 'sqlite';
  }

  /**
   * A statement that writes (its rows are what its `returning` gives). SQLite's writes take their
   * turn with MikroORM's (SingleWriterConnection). A failure comes as MikroORM's exception for it
   * (UniqueConstraintViolationException, ...), as from the ORM's own writes.
   */
  write<Row>(statement: PreparedStatement, params: readonly unknown[]): Promise<Row[]> {
    if (this.dialect === 'postgresql')
      return this.converted(() => this.rows<Row>(statement, params));
    const connection = this.driver.getConnection('write') as SingleWriterConnection;
    return this.converted(() => connection.inWriteTurn(() => this.rows<Row>(statement, params)));
  }

  /** `work`'s failure as MikroORM's exception for it (UniqueConstraintViolationException, ...). */
  private async converted<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      // Not `instanceof Error`: a native addon's errors may come from another realm (Jest's).
      throw typeof error === 'object' && error !== null
        ? this.driver.convertException(error as Error)
        : error;
    }
  }

  /**
   * Inserts rows, of several tables, that exist together or not at all (a new user with their
   * first session), in one statement (rowsStatement), the rows in the order given. A failure comes
   * as write()'s do.
   */
  async insertRows(rows: readonly RowInsert[]): Promise<void> {
    await this.write(
      this.insertOf(rows),
      rows.flatMap((row) => row.values),
    );
  }

  /** insertRows's statement for these rows, made once per set of tables. */
  private insertOf(rows: readonly RowInsert[]): PreparedStatement {
    const name = `insert_${rows.map((row) => row.table).join('_')}`;
    let statement = this.inserts.get(name);
    if (!statement) {
      statement = rowsStatement(name, rows);
      this.inserts.set(name, statement);
    }
    return statement;
  }

  async rows<Row>(read: PreparedStatement, params: readonly unknown[]): Promise<Row[]> {
    const connection: unknown = await this.client.acquireConnection();
    try {
      if (this.dialect === 'sqlite') {
        return await statementsOf(connection as Database).all<Row>(
          read.sqlite,
          this.bound(params),
          read.sqliteSetup,
        );
      }
      return (await queried(connection as PostgresClient, read, params)) as Row[];
    } finally {
      await this.client.releaseConnection(connection);
    }
  }

  async first<Row>(read: PreparedStatement, params: readonly unknown[]): Promise<Row | undefined> {
    return (await this.rows<Row>(read, params))[0];
  }

  /** A list as one parameter: an array for PostgreSQL, JSON text for SQLite's json_each. */
  list(values: readonly unknown[]): unknown {
    return this.dialect === 'postgresql' ? values : JSON.stringify(values);
  }

  /** Parameters as SQLite binds them: dates as epoch milliseconds (see time()). */
  private bound(params: readonly unknown[]): unknown[] {
    return params.map((param) => (param instanceof Date ? this.time(param) : param));
  }

  /**
   * A point in time as the dialect's datetime columns hold it (SQLite: epoch milliseconds). Dates
   * bound as parameters are converted by rows() and write(); this is for dates inside a JSON one.
   */
  time(date: Date): Date | number {
    return this.dialect === 'postgresql' ? date : date.getTime();
  }
}
