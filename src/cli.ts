#!/usr/bin/env node
import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type MikroORM } from '@mikro-orm/core';
import { changeRole } from './accounts/roles';
import * as rules from './accounts/rules';
import { Role, User } from './accounts/user.entity';
import { ConfigError, type Database, loadConfig } from './config';
import { connect, migrate, openDatabase } from './db/orm';
import { failedToStart, serve } from './main';
import { printSchemaFile } from './schema-file';

const USAGE = `Usage: account-api <command>

Commands:
  start                        run the API (the same as npm start)
  migrate                      apply pending database migrations, then exit
  promote <email|account>      make a user an ADMIN
  demote <email|account>       make an admin a USER (the last admin cannot be demoted)
  schema [--out FILE]          print the GraphQL schema (SDL), or write it to FILE
  help                         show this text

The database and every other setting come from the environment, as for npm start
(DATABASE_URL, default sqlite:data/accounts.sqlite).`;

/** A failure the user can act on: printed as one line, exit status 1. */
class CliError extends Error {}

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function withDatabase<T>(
  work: (orm: MikroORM, database: Database) => Promise<T>,
  open: typeof openDatabase = openDatabase,
): Promise<T> {
  const { database } = loadConfig();
  const orm = await open(database);
  try {
    return await work(orm, database);
  } finally {
    await orm.close(true);
  }
}

/** A user named by account number (10 digits) or by email, in any case. */
async function findUser(orm: MikroORM, who: string | undefined): Promise<User> {
  if (!who) throw new CliError('name the user by email or account number');
  const em = orm.em.fork();
  const account = rules.account(who);
  if (account.ok) {
    const user = await em.findOne(User, { account: account.value });
    if (user) return user;
  } else {
    const email = rules.email(who);
    if (email.ok) {
      const user = await em.findOne(User, { emailNormalized: email.value.normalized });
      if (user) return user;
    }
  }
  throw new CliError(`no user with email or account ${JSON.stringify(who)}`);
}

async function setRole(who: string | undefined, role: Role): Promise<void> {
  await withDatabase(async (orm) => {
    const user = await findUser(orm, who);
    const change = await changeRole(orm.em.fork(), user.id, role);
    if (!change.ok) {
      throw new CliError(
        change.reason === 'last-admin'
          ? `${user.email} is the last admin; promote another user first`
          : `no user with email or account ${JSON.stringify(who)}`,
      );
    }
    print(
      change.changed
        ? `${user.email} (account ${user.account}) is now ${role}`
        : `${user.email} (account ${user.account}) was already ${role}`,
    );
  });
}

async function run(args: string[]): Promise<void> {
  const [command, ...rest] = args;
  switch (command) {
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      print(USAGE);
      return;
    case 'start':
      return serve();
    case 'migrate':
      return withDatabase(async (orm, database) => {
        const applied = await migrate(orm, database);
        print(applied.length ? `applied ${applied.join(', ')}` : 'the database is up to date');
      }, connect);
    case 'promote':
      return setRole(rest[0], Role.ADMIN);
    case 'demote':
      return setRole(rest[0], Role.USER);
    case 'schema': {
      const text = await printSchemaFile();
      const [option, next] = rest;
      if (option === undefined) {
        process.stdout.write(text);
        return;
      }
      if (option !== '--out' && !option.startsWith('--out=')) {
        throw new CliError(`schema takes only --out FILE; got ${JSON.stringify(option)}`);
      }
      const out = option === '--out' ? next : option.slice('--out='.length);
      if (!out) throw new CliError('--out needs a file name');
      const target = resolve(out);
      writeFileSync(target, text);
      print(`wrote ${target}`);
      return;
    }
    default:
      process.stderr.write(`account-api: unknown command ${JSON.stringify(command)}\n\n${USAGE}\n`);
      process.exit(2);
  }
}

run(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof CliError || error instanceof ConfigError) {
    process.stderr.write(`account-api: ${error.message}\n`);
    process.exit(1);
  }
  failedToStart(error);
});
