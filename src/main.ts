import 'reflect-metadata';
import { ConfigError, loadConfig } from './config';
import { createLogger } from './logger';
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
  await new Promise<void>((resolve) => app.server.listen(config.port, config.host, resolve));
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  logger.info(
    { port, database: config.database.dialect, playground: config.playground },
    `account API listening on http://localhost:${port}/graphql`,
  );

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing requests in flight');
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: String(error) }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
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
