import { type MikroORM } from '@mikro-orm/core';
import { type Knex } from '@mikro-orm/knex';
import { PostgreSqlPlatform } from '@mikro-orm/postgresql';
import { type SqlEntityManager } from '@mikro-orm/sqlite';
import { type Database } from 'sqlite3';
import { statementsOf } from './sqlite-statements';

/** A read on the hot path: fixed SQL with `?` placeholders, and a name unique among reads. */
export interface PreparedRead {
  readonly name: string;
  readonly sql: string;
}

interface PostgresClient {
  query(config: { name: string; text: string; values: readonly unknown[] }): Promise<{
    rows: unknown[];
  }>;
}

/**
 * Reads that nearly every request makes (the caller by token, a user by id), prepared once per
 * pooled connection and run with bound parameters. MikroORM writes each parameter into the SQL
 * text and runs it through knex, so the database parses and plans every query anew and the ORM
 * spends more time around the query than SQLite spends on it; these skip all of that. They borrow
 * connections from the same pool as the ORM, so DATABASE_POOL_SIZE still bounds the total.
 *
 * SQLite keeps each connection's statements (src/db/sqlite-statements.ts); PostgreSQL keeps named
 * statements per connection by itself.
 */
export class PreparedReads {
  private readonly client: Knex.Client;
  private readonly postgresql: boolean;
  /** PostgreSQL's `$n` form of each read's SQL. */
  private readonly numbered = new Map<PreparedRead, string>();

  constructor(orm: MikroORM) {
    const em = orm.em as SqlEntityManager;
    this.client = em.getKnex().client as Knex.Client;
    this.postgresql = em.getPlatform() instanceof PostgreSqlPlatform;
  }

  /** The first row the read returns, if any. */
  async first<Row>(read: PreparedRead, params: readonly unknown[]): Promise<Row | undefined> {
    const connection: unknown = await this.client.acquireConnection();
    try {
      if (!this.postgresql)
        return await statementsOf(connection as Database).first<Row>(read.sql, params);
      const result = await (connection as PostgresClient).query({
        name: read.name,
        text: this.postgresText(read),
        values: params,
      });
      return result.rows[0] as Row | undefined;
    } finally {
      await this.client.releaseConnection(connection);
    }
  }

  /** A point in time as the dialect's datetime columns hold it (SQLite: epoch milliseconds). */
  time(date: Date): Date | number {
    return this.postgresql ? date : date.getTime();
  }

  private postgresText(read: PreparedRead): string {
    let text = this.numbered.get(read);
    if (text === undefined) {
      let n = 0;
      text = read.sql.replace(/\?/g, () => `$${++n}`);
      this.numbered.set(read, text);
    }
    return text;
  }
}
