import 'reflect-metadata';
import { type Server } from 'node:http';
import { isIPv6 } from 'node:net';
import { ConfigError, loadConfig } from './config';
import { createLogger, safeError } from './logger';
import { createApp } from './server';

/** Starts the API as `npm start` does: reads the environment, listens, drains on SIGTERM. */
export async function serve(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`account-api: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  // libuv reads UV_THREADPOOL_SIZE once, when its pool first starts, and nothing has used the
  // pool yet: enough threads for every database connection and every hash at once.
  process.env.UV_THREADPOOL_SIZE ??= String(config.threadpoolSize);
  const logger = createLogger(config.logLevel);
  const app = await createApp(config, logger);
  await listen(app.server, config.port, config.host);
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  logger.info(
    { port, database: config.database.dialect, playground: config.playground },
    `account API listening on ${addressToOpen(config.host, port)}`,
  );

  let stopping = false;
  const stop = (signal: string): void => {
    // A second signal (Ctrl-C pressed again) is someone who will not wait for the delay or for
    // requests in flight: exit at once. The database needs no closing for that; SQLite and
    // PostgreSQL roll back whatever was not committed.
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting without finishing requests in flight');
      process.exit(1);
    }
    stopping = true;
    // SHUTDOWN_DELAY: /ready says draining while requests are still served, so a load balancer
    // that polls it stops sending new ones before the listener closes.
    app.startDraining();
    logger.info(
      { signal, delayMs: config.shutdownDelayMs },
      'shutting down: finishing requests in flight',
    );
    const closed = new Promise((wait) => setTimeout(wait, config.shutdownDelayMs)).then(() =>
      app.close(),
    );
    closed.then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: safeError(error) }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

/** A URL to open in a browser: localhost when listening on every address, else HOST itself. */
function addressToOpen(host: string, port: number): string {
  const name = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  return `http://${isIPv6(name) ? `[${name}]` : name}:${port}/graphql`;
}

/**
 * Listens on HOST:PORT. A port in use or a host that names no address of this machine is a
 * setting to change, so it stops start-up as a ConfigError naming the variable, not as an
 * unhandled 'error' event with a stack trace.
 */
function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException): void => {
      server.off('listening', listening);
      reject(listenError(error, port, host));
    };
    const listening = (): void => {
      server.off('error', failed);
      resolve();
    };
    server.once('error', failed);
    server.once('listening', listening);
    server.listen(port, host);
  });
}

function listenError(error: NodeJS.ErrnoException, port: number, host: string): Error {
  switch (error.code) {
    case 'EADDRINUSE':
      return new ConfigError(`PORT ${port} is already in use on HOST ${host}`);
    case 'EACCES':
      return new ConfigError(`PORT ${port} on HOST ${host} needs privileges this process lacks`);
    case 'EADDRNOTAVAIL':
      return new ConfigError(`HOST "${host}" is not an address of this machine`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
    case 'EAI_FAIL':
      return new ConfigError(`HOST "${host}" does not resolve to an address`);
    default:
      return new ConfigError(`cannot listen on HOST ${host} PORT ${port}: ${error.message}`);
  }
}

/** The one line a failed start prints before the process exits with status 1. */
export function failedToStart(error: unknown): never {
  const reason =
    error instanceof ConfigError
      ? error.message
      : error instanceof Error
        ? error.message
        : String(error);
  process.stderr.write(`account-api: could not start: ${reason}\n`);
  process.exit(1);
}

if (require.main === module) serve().catch(failedToStart);
