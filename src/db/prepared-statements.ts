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
}

/** A statement whose SQL is the same in both dialects but for the placeholders (written as `?`). */
export function portableStatement(name: string, sql: string): PreparedStatement {
  let n = 0;
  return { name, sqlite: sql, postgresql: sql.replace(/\?/g, () => `$${++n}`) };
}

interface PostgresClient {
  query(config: { name: string; text: string; values: readonly unknown[] }): Promise<{
    rows: unknown[];
  }>;
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
  async write<Row>(statement: PreparedStatement, params: readonly unknown[]): Promise<Row[]> {
    try {
      if (this.dialect === 'postgresql') return await this.rows<Row>(statement, params);
      const connection = this.driver.getConnection('write') as SingleWriterConnection;
      return await connection.inWriteTurn(() => this.rows<Row>(statement, params));
    } catch (error) {
      // Not `instanceof Error`: a native addon's errors may come from another realm (Jest's).
      throw typeof error === 'object' && error !== null
        ? this.driver.convertException(error as Error)
        : error;
    }
  }

  async rows<Row>(read: PreparedStatement, params: readonly unknown[]): Promise<Row[]> {
    const connection: unknown = await this.client.acquireConnection();
    try {
      if (this.dialect === 'sqlite') {
        const bound = params.map((param) => (param instanceof Date ? this.time(param) : param));
        return await statementsOf(connection as Database).all<Row>(read.sqlite, bound);
      }
      const result = await (connection as PostgresClient).query({
        name: read.name,
        text: read.postgresql,
        values: params,
      });
      return result.rows as Row[];
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

  /**
   * A point in time as the dialect's datetime columns hold it (SQLite: epoch milliseconds). Dates
   * bound as parameters are converted by rows() and write(); this is for dates inside a JSON one.
   */
  time(date: Date): Date | number {
    return this.dialect === 'postgresql' ? date : date.getTime();
  }
}
