import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { ApolloServer, HeaderMap, type HTTPGraphQLResponse } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginInlineTraceDisabled,
  ApolloServerPluginLandingPageDisabled,
  ApolloServerPluginSchemaReportingDisabled,
  ApolloServerPluginUsageReportingDisabled,
} from '@apollo/server/plugin/disabled';
import { type MikroORM } from '@mikro-orm/core';
import Redis from 'ioredis';
import Negotiator from 'negotiator';
import { type GraphQLFormattedError } from 'graphql';
import { KnownOperationTypeRule, QUERY_LIMITS, QueryLimitsRule } from './abuse/query-limits';
import { clientAddress, type CounterStore, RateLimits, sweepTallies } from './abuse/rate-limits';
import { AccountService } from './accounts/account.service';
import { ensureAdmin } from './accounts/admin';
import { PasswordHasher } from './accounts/passwords';
import { type Config } from './config';
import { ClientGone, type Context, RequestContext, UnitOfWork } from './context';
import { openDatabase, startCheckpoints } from './db/orm';
import { PreparedStatements } from './db/prepared-statements';
import { UserStore } from './accounts/user.repository';
import { LoginReads } from './accounts/login-reads';
import { RegistrationReads } from './accounts/registration-reads';
import { Answers } from './http/answers';
import { answerClientError } from './http/client-error';
import { BodyAborted, BodyTooLarge, decodeUtf8, readBody, utf8Charset } from './http/body';
import { Cors } from './http/cors';
import { createPlayground, PLAYGROUND_PATH } from './http/playground';
import { languageOf, translate, type MessageKey, type MessageParams } from './info/i18n';
import { envelopePlugin, formatError, localizeErrors, responseInfo } from './info/envelope';
import { type InfoName, infocodeOf, type Lang } from './info/status';
import { type Logger, safeError } from './logger';
import { AccountMail } from './mail/account-mail';
import { EmailTokens } from './mail/email-tokens';
import { EmailService } from './mail/email.service';
import { Mailer } from './mail/mailer';
import { createSchema } from './schema';
import { Authentication } from './sessions/authentication';
import { RefreshTokenChain } from './sessions/refresh-tokens';
import { Sessions, startSweeping } from './sessions/sessions';
import { AccessTokens } from './sessions/tokens';

export interface App {
  readonly server: Server;
  readonly orm: MikroORM;
  /** Mail work after answers and the mail queue: idle() resolves when both are done. */
  readonly mail: AccountMail;
  /** From now on /ready answers 503 draining; requests are still taken (see main.ts's stop). */
  startDraining(): void;
  /** Stops taking requests, lets those in flight finish, then closes the database. */
  close(): Promise<void>;
}

/** Apollo's MEDIA_TYPES for one result (not exported by @apollo/server; kept to its spelling). */
const SINGLE_RESULT_TYPES = [
  'application/json; charset=utf-8',
  'application/graphql-response+json; charset=utf-8',
  'application/json; callbackSpec=1.0; charset=utf-8',
];
const JSON_BODY = /^application\/(graphql-response\+)?json\s*(;|$)/i;

function header(request: IncomingMessage, name: string): string | null {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(', ') : (value ?? null);
}

/**
 * A signal that aborts with ClientGone once the client closes its connection before `response`
 * is complete (Context.clientGone). An answer written in full closes with writableFinished set.
 */
function clientGone(response: ServerResponse): AbortSignal {
  const controller = new AbortController();
  const hungUp = () => {
    if (!response.writableFinished) controller.abort(new ClientGone());
  };
  if (response.closed) hungUp();
  else response.once('close', hungUp);
  return controller.signal;
}

const GRAPHQL_RESPONSE = 'application/graphql-response+json';

/** A POST body's `extensions`, as Apollo will read it. */
function extensionsOf(body: unknown): unknown {
  return typeof body === 'object' && body !== null
    ? (body as { extensions?: unknown }).extensions
    : undefined;
}

/** A GET's `extensions` parameter, parsed as Apollo will (malformed JSON is Apollo's to refuse). */
function extensionsIn(search: string): unknown {
  const text = new URLSearchParams(search).get('extensions');
  if (text === null) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Whether `extensions.persistedQuery.sha256Hash` is absent or a string. */
function persistedQueryHashIsText(extensions: unknown): boolean {
  if (typeof extensions !== 'object' || extensions === null) return true;
  const persisted = (extensions as { persistedQuery?: unknown }).persistedQuery;
  if (typeof persisted !== 'object' || persisted === null) return true;
  const hash = (persisted as { sha256Hash?: unknown }).sha256Hash;
  return hash === undefined || typeof hash === 'string';
}

function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  mediaType = 'application/json',
): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': `${mediaType}; charset=utf-8`,
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}

/**
 * A request refused before GraphQL ran, in the same envelope as every other answer. A client
 * that accepts application/graphql-response+json gets that media type, as for Apollo's own
 * refusals, so it reads the body as a GraphQL response (Apollo Client: CombinedGraphQLErrors).
 */
function refuse(
  request: IncomingMessage,
  response: ServerResponse,
  status: number,
  info: InfoName,
  lang: Lang,
  key: MessageKey,
  params?: MessageParams,
): void {
  const envelope = { infocode: infocodeOf(info), info };
  sendJson(
    response,
    status,
    {
      errors: [
        { message: translate(lang, key, params), extensions: { code: 'BAD_REQUEST', ...envelope } },
      ],
      extensions: envelope,
    },
    (header(request, 'accept') ?? '').includes(GRAPHQL_RESPONSE) ? GRAPHQL_RESPONSE : undefined,
  );
}

/**
 * Whether a client's Accept header takes a single GraphQL result in a media type Apollo answers
 * with (its chooseContentTypeForSingleResultResponse): none given takes application/json.
 */
function acceptsGraphQLResponse(accept: string | null): boolean {
  if (!accept) return true; // none, or empty: Apollo answers JSON
  return new Negotiator({ headers: { accept } }).mediaType(SINGLE_RESULT_TYPES) !== undefined;
}

/** How long a Redis command may wait for its answer, and a connection for Redis. */
const REDIS_COMMAND_TIMEOUT_MS = 2_000;

/** Rate-limit counters: Redis if given, else the shared PostgreSQL, else this process's memory. */
function counterStore(
  config: Config,
  statements: PreparedStatements,
  redis: Redis | null,
): CounterStore {
  const { database } = config;
  const schema = database.dialect === 'postgresql' ? database.schema : null;
  if (redis) return { kind: 'redis', client: redis, prefix: `account-api:${schema ?? 'public'}` };
  if (database.dialect === 'postgresql') return { kind: 'postgresql', statements };
  return { kind: 'memory' };
}

export async function createApp(config: Config, logger: Logger): Promise<App> {
  const orm = await openDatabase(config.database, logger);
  const passwords = new PasswordHasher(config.argon2, config.hashConcurrency);
  const tokens = new AccessTokens(config.jwt);
  // A Redis that is down, or up but not answering, fails a counter's command within
  // REDIS_COMMAND_TIMEOUT_MS (1023 for the request that needed it) instead of holding it forever.
  const redis = config.redisUrl
    ? new Redis(config.redisUrl, {
        maxRetriesPerRequest: 2,
        commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
        connectTimeout: REDIS_COMMAND_TIMEOUT_MS,
      })
    : null;
  // ioredis reconnects by itself; without a listener it would print each error to the console.
  redis?.on('error', (error: unknown) =>
    logger.warn({ err: safeError(error) }, 'redis: connection error'),
  );
  const statements = new PreparedStatements(orm);
  const counters = counterStore(config, statements, redis);
  const limits = new RateLimits(config.rateLimits, counters);
  if (!config.rateLimits.enabled) {
    logger.warn('RATE_LIMIT=off: password guessing and registration are not rate limited');
  }
  const sessions = new Sessions(
    new RefreshTokenChain(config.jwt.secret),
    config.sessions,
    statements,
  );
  const mailer = new Mailer(config.mail, logger);
  logger.info({ destination: mailer.destination }, 'mail goes to the %s', mailer.destination);
  const emailTokens = new EmailTokens(statements);
  const mail = new AccountMail(mailer, emailTokens, limits, config.mail, logger);
  const users = new UserStore(statements);
  const loginReads = new LoginReads(statements, users, limits, config.hideAccountExistence);
  const accounts = new AccountService(
    passwords,
    tokens,
    sessions,
    limits,
    logger,
    mail,
    users,
    loginReads,
    new RegistrationReads(statements, users, limits),
    {
      hideAccountExistence: config.hideAccountExistence,
      requireEmailVerification: config.mail.requireVerification,
    },
  );
  const email = new EmailService(
    accounts,
    passwords,
    sessions,
    emailTokens,
    mail,
    limits,
    users,
    logger,
  );
  if (config.admin) await ensureAdmin(orm.em.fork(), config.admin, accounts, sessions, logger);
  const sweeper = startSweeping(
    orm,
    {
      sessions: (em) => sessions.sweep(em),
      'email tokens': (em) => emailTokens.sweep(em),
      ...(counters.kind === 'postgresql' ? { 'rate limits': sweepTallies } : {}),
    },
    logger,
  );
  const checkpoints = config.database.dialect === 'sqlite' ? startCheckpoints(orm, logger) : null;

  const schema = await createSchema({ accounts, sessions, email });
  const server = createServer();
  server.on('clientError', (error: Error, socket) => answerClientError(error, socket, logger));
  const playground = config.playground ? createPlayground() : null;
  const apollo = new ApolloServer<Context>({
    schema,
    formatError,
    validationRules: [KnownOperationTypeRule, QueryLimitsRule],
    parseOptions: { maxTokens: QUERY_LIMITS.tokens },
    // No "Did you mean …?" hints that map the schema for a stranger, in production.
    hideSchemaDetailsFromClientErrors: config.production,
    includeStacktraceInErrorResponses: false,
    introspection: config.introspection,
    allowBatchedHttpRequests: false,
    // main.ts owns SIGTERM/SIGINT: it drains requests, then closes the database, then exits.
    stopOnTerminationSignals: false,
    // Our own CSRF rule is stricter for POST (JSON only, see graphql()) and lets plain GET
    // queries through, which are side-effect free; GET mutations are refused by Apollo (405).
    csrfPrevention: false,
    logger: {
      debug: () => undefined,
      info: (message: string) => logger.info(message),
      warn: (message: string) => logger.warn(message),
      error: (message: string) => logger.error(message),
    },
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer: server }),
      // Apollo installs a cache-control plugin by default, and it wraps every resolver of the
      // schema to read @cacheControl hints we never set; the rest report to Apollo's cloud.
      ApolloServerPluginCacheControlDisabled(),
      ApolloServerPluginInlineTraceDisabled(),
      ApolloServerPluginUsageReportingDisabled(),
      ApolloServerPluginSchemaReportingDisabled(),
      envelopePlugin(logger),
      playground ? playground.plugin() : ApolloServerPluginLandingPageDisabled(),
    ],
  });
  await apollo.start();

  function contextFor(
    request: IncomingMessage,
    response: ServerResponse,
    requestId: string,
    lang: Lang,
  ): RequestContext {
    const unit = new UnitOfWork(orm);
    const auth = new Authentication(header(request, 'authorization'), tokens, users);
    const client = {
      address: clientAddress(
        request.socket.remoteAddress,
        header(request, 'x-forwarded-for') ?? undefined,
        config.trustProxy,
      ),
      userAgent: header(request, 'user-agent'),
    };
    return new RequestContext(requestId, lang, auth, client, unit, () => clientGone(response));
  }

  let draining = false;
  const answers = new Answers();
  const cors = new Cors(config.corsOrigins);

  /**
   * `/health`: the process answers and so does its database. `/ready`: the same, and it is not
   * shutting down, so a load balancer stops sending work the moment SIGTERM arrives.
   */
  async function probe(
    response: ServerResponse,
    readiness: boolean,
    requestId: string,
  ): Promise<void> {
    if (readiness && draining) {
      return sendJson(response, 503, { status: 'draining', database: 'up' });
    }
    try {
      await orm.em.getConnection().execute('select 1');
      sendJson(response, 200, { status: 'ok', database: 'up' });
    } catch (error) {
      logger.warn({ requestId, err: safeError(error) }, 'health check: database does not answer');
      sendJson(response, 503, { status: 'unavailable', database: 'down' });
    }
  }

  async function graphql(
    request: IncomingMessage,
    response: ServerResponse,
    search: string,
    requestId: string,
    lang: Lang,
  ): Promise<void> {
    let body: unknown = undefined;
    if (request.method === 'POST') {
      let bytes: Buffer;
      try {
        bytes = await readBody(request, config.maxBodyBytes);
      } catch (error) {
        if (error instanceof BodyTooLarge) {
          response.setHeader('connection', 'close');
          return refuse(request, response, 413, 'QUERY_TOO_COMPLEX', lang, 'request.bodyTooLarge', {
            max: config.maxBodyBytes,
          });
        }
        if (error instanceof BodyAborted) {
          // Not a failure of ours, and nobody is left to answer: like every hang-up, info only.
          logger.info(
            { requestId },
            'client gone before its answer: its request body was cut short',
          );
          return;
        }
        throw error;
      }
      // CSRF: only JSON bodies are read. A browser cannot send one cross-site without a CORS
      // preflight, so text/plain and form posts (the "simple" requests) never reach GraphQL.
      const contentType = header(request, 'content-type') ?? '';
      if (!JSON_BODY.test(contentType)) {
        return refuse(request, response, 415, 'INVALID_REQUEST', lang, 'request.contentType');
      }
      if (!utf8Charset(contentType)) {
        return refuse(request, response, 415, 'INVALID_REQUEST', lang, 'request.charset');
      }
      const text = decodeUtf8(bytes);
      if (text === null) {
        return refuse(request, response, 400, 'INVALID_REQUEST', lang, 'request.encoding');
      }
      // Apollo reads Accept only once the operation has run: a mutation would commit and its
      // client be told 406 and retry. Refused here first, by Apollo's own negotiation.
      if (!acceptsGraphQLResponse(header(request, 'accept'))) {
        return refuse(request, response, 406, 'INVALID_REQUEST', lang, 'request.accept');
      }
      try {
        body = JSON.parse(text);
      } catch {
        return refuse(request, response, 400, 'INVALID_REQUEST', lang, 'request.json');
      }
      if (Array.isArray(body)) {
        return refuse(request, response, 400, 'QUERY_TOO_COMPLEX', lang, 'request.batch');
      }
    }
    // Apollo's persisted-query cache takes sha256Hash for a string and failed (a 500) on anything
    // else, an object whose toString is no function, say: refused here as malformed.
    const extensions = request.method === 'POST' ? extensionsOf(body) : extensionsIn(search);
    if (!persistedQueryHashIsText(extensions)) {
      return refuse(request, response, 400, 'INVALID_REQUEST', lang, 'request.persistedQueryHash');
    }
    const headers = new HeaderMap();
    for (const [name, value] of Object.entries(request.headers)) {
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    }
    const built: { context?: RequestContext } = {};
    const result = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: request.method ?? 'GET', headers, search, body },
      context: () =>
        Promise.resolve((built.context = contextFor(request, response, requestId, lang))),
    });
    await write(response, result, requestId, lang);
    // Work that must not show in the answer's timing starts only now (Context.afterResponse).
    for (const work of built.context?.deferred ?? []) work();
  }

  /**
   * Apollo answers some requests (no query, wrong method, CSRF) before any plugin runs: those
   * get their envelope here, so every response carries extensions.infocode.
   */
  async function write(
    response: ServerResponse,
    result: HTTPGraphQLResponse,
    requestId: string,
    lang: Lang,
  ): Promise<void> {
    const status = result.status ?? 200;
    for (const [name, value] of result.headers) response.setHeader(name, value);
    if (result.body.kind === 'complete') {
      let text = result.body.string;
      if (status !== 200 && (result.headers.get('content-type') ?? '').includes('json')) {
        text = withEnvelope(text, requestId, lang);
      }
      response.statusCode = status;
      response.setHeader('content-length', Buffer.byteLength(text));
      return answers.end(response, text);
    }
    response.statusCode = status;
    for await (const chunk of result.body.asyncIterator) response.write(chunk);
    response.end();
  }

  function withEnvelope(text: string, requestId: string, lang: Lang): string {
    try {
      const parsed = JSON.parse(text) as {
        data?: unknown;
        errors?: GraphQLFormattedError[];
        extensions?: Record<string, unknown>;
      };
      if (parsed.extensions?.infocode !== undefined) return text;
      parsed.errors = localizeErrors(parsed.errors, lang, requestId);
      parsed.extensions = { ...parsed.extensions, ...responseInfo(parsed.data, [], parsed.errors) };
      return JSON.stringify(parsed);
    } catch {
      return text;
    }
  }

  // LOG_LEVEL=debug adds one line per request; decided once, so the hot path pays nothing.
  const logRequests = logger.isLevelEnabled('debug');

  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const requestId = randomUUID();
    response.setHeader('x-request-id', requestId);
    if (logRequests) {
      const started = performance.now();
      response.once('finish', () =>
        logger.debug(
          {
            requestId,
            method: request.method,
            path: request.url?.split('?')[0],
            status: response.statusCode,
            ms: Math.round((performance.now() - started) * 10) / 10,
          },
          'request',
        ),
      );
    }
    const lang = languageOf(header(request, 'accept-language'));
    const url = request.url ?? '/';
    const queryAt = url.indexOf('?');
    const path = queryAt === -1 ? url : url.slice(0, queryAt);
    const search = queryAt === -1 ? '' : url.slice(queryAt + 1);

    const readOnly = request.method === 'GET' || request.method === 'HEAD';
    const notFound = (): void =>
      sendJson(response, 404, {
        errors: [
          {
            message: translate(lang, 'notFound.path'),
            extensions: {
              code: 'NOT_FOUND',
              infocode: infocodeOf('INVALID_REQUEST'),
              info: 'INVALID_REQUEST',
            },
          },
        ],
        extensions: { infocode: infocodeOf('INVALID_REQUEST'), info: 'INVALID_REQUEST' },
      });

    let handled: Promise<void>;
    if (path === '/graphql') {
      if (cors.handle(request, response)) return;
      handled = graphql(request, response, search, requestId, lang);
    } else if ((path === '/health' || path === '/ready') && readOnly) {
      handled = probe(response, path === '/ready', requestId);
    } else if (playground && path.startsWith(PLAYGROUND_PATH) && readOnly) {
      handled = playground
        .serveAsset(path.slice(PLAYGROUND_PATH.length), request, response)
        .then((found) => (found ? undefined : notFound()));
    } else {
      handled = Promise.resolve(notFound());
    }
    handled.catch((error: unknown) => {
      logger.error({ requestId, err: safeError(error) }, 'request failed outside GraphQL');
      if (!response.headersSent) {
        const envelope = { infocode: infocodeOf('INTERNAL_ERROR'), info: 'INTERNAL_ERROR' };
        sendJson(response, 500, {
          errors: [
            {
              message: translate(lang, 'internal.error', { requestId }),
              extensions: { code: 'INTERNAL_SERVER_ERROR', ...envelope, requestId },
            },
          ],
          extensions: envelope,
        });
      } else {
        response.destroy();
      }
    });
  });

  return {
    server,
    orm,
    mail,
    startDraining() {
      draining = true;
    },
    async close() {
      draining = true;
      // The drain plugin closes the listener and waits for requests in flight; a sweep or a
      // checkpoint under way is let finish, before the database closes under it.
      await Promise.all([apollo.stop(), sweeper.stop(), checkpoints?.stop()]);
      await mail.close();
      await orm.close(true);
      // QUIT waits for Redis's answer; one that does not come ends the connection anyway.
      await redis?.quit().catch(() => redis.disconnect());
    },
  };
}
