import { type ApolloServerPlugin, type GraphQLRequestListener } from '@apollo/server';
import { ApolloServerErrorCode } from '@apollo/server/errors';
import {
  type DocumentNode,
  type FragmentDefinitionNode,
  GraphQLError,
  type GraphQLFormattedError,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { type Logger } from 'pino';
import { TOO_MANY_TOKENS } from '../abuse/query-limits';
import { ClientGone, type Context } from '../context';
import { safeError } from '../logger';
import { ApiError } from './api-error';
import { translate, type MessageKey, type MessageParams } from './i18n';
import { describe, type InfoName, infocodeOf, type Lang, STATUS_TABLE } from './status';

/**
 * What graphql-js puts in the holes of its message templates. A name or a type is a GraphQL name
 * (of the schema or the document), which cannot hold a quote; only `object` and `nothing` stand
 * for a value the client sent, as graphql-js's inspect() prints it.
 */
const HOLES: Readonly<Record<string, string>> = {
  name: '[_A-Za-z][_0-9A-Za-z]*',
  type: '[_0-9A-Za-z!\\[\\]]+',
  object: '\\{[\\s\\S]*\\}',
  nothing: '(?:null|undefined)',
  at: '(?: at "[_A-Za-z][_0-9A-Za-z]*(?:\\.[_A-Za-z][_0-9A-Za-z]*|\\[\\d+\\])*")?',
};

/**
 * One of graphql-js's message templates as a pattern that must match the whole message, so text
 * the client sent and graphql-js quotes (`found "must not be null"`) can never match it.
 */
function template(text: string): RegExp {
  const literal = text.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
  return new RegExp(`^${literal.replace(/\{(\w+)\}/g, (_whole, hole: string) => HOLES[hole]!)}$`);
}

/**
 * graphql-js's texts (16.x: validation/rules/ProvidedRequiredArgumentsRule.js,
 * ValuesOfCorrectTypeRule.js, execution/values.js, utilities/coerceInputValue.js) for a required
 * argument, input field or variable that is absent or null: 1001. Anything else it says about a
 * value is a wrong type, 1021. A variable's coercion error ends with the inner error's text,
 * after the value the client sent: only that end can say "was not provided" or "not to be null".
 */
const MISSING_REQUIRED: readonly RegExp[] = [
  'Field "{name}" argument "{name}" of type "{type}" is required, but it was not provided.',
  'Directive "@{name}" argument "{name}" of type "{type}" is required, but it was not provided.',
  'Field "{name}.{name}" of required type "{type}" was not provided.',
  'Expected value of type "{type}!", found null.',
  'Variable "${name}" of required type "{type}" was not provided.',
  'Variable "${name}" of non-null type "{type}" must not be null.',
  'Variable "${name}" got invalid value {object}{at}; Field "{name}" of required type "{type}" was not provided.',
  'Variable "${name}" got invalid value {nothing}{at}; Expected non-nullable type "{type}" not to be null.',
].map(template);

/**
 * graphql-js's texts when it reads a field's arguments during execution (execution/values.js,
 * getArgumentValues). Validation lets through a variable with a default in a non-null argument,
 * `mutation ($id: ID = "1") { revokeSession(id: $id) ... }`, and `{"id": null}` then fails the
 * field: a null for a required argument, 1001, not an unexpected failure.
 */
const ARGUMENT_MISSING: readonly RegExp[] = [
  'Argument "{name}" of required type "{type}" was not provided.',
  'Argument "{name}" of required type "{type}" was provided the variable "${name}" which was not provided a runtime value.',
  'Argument "{name}" of non-null type "{type}" must not be null.',
].map(template);

/**
 * All graphql-js says when validation stops at one of its own work budgets: the comparisons of
 * OverlappingFieldsCanBeMerged (`{ me { __typename __typename ... } }` a thousand times) or the
 * following of fragment spreads. The operation exceeds a limit (1022), and the client gets our
 * message instead (OWN_MESSAGES).
 */
const VALIDATION_ABORTED = 'Validation aborted.';

/**
 * graphql-js's MaxIntrospectionDepthRule (one of its specified rules): `fields`, `interfaces`,
 * `possibleTypes` or `inputFields` nested three deep inside introspection. A limit: 1022.
 */
const INTROSPECTION_TOO_DEEP = 'Maximum introspection depth exceeded';

/** graphql-js's validation messages that mean a limit of its own was reached. */
const VALIDATION_LIMITS: ReadonlySet<string> = new Set([
  VALIDATION_ABORTED,
  INTROSPECTION_TOO_DEEP,
]);

/** graphql-js texts replaced by a catalog message of ours, in the client's language. */
const OWN_MESSAGES: ReadonlyMap<string, MessageKey> = new Map([
  [VALIDATION_ABORTED, 'request.tooCostlyToValidate'],
]);

/** A message of our catalogs, to be given in the client's language. */
interface CatalogMessage {
  key: MessageKey;
  params?: MessageParams;
}

/**
 * Where formatError leaves an entry's catalog message for localizeErrors, which knows the
 * request's language (formatError does not). A symbol: JSON.stringify never writes it.
 */
const CATALOG = Symbol('catalog message');

type FormattedError = GraphQLFormattedError & { [CATALOG]?: CatalogMessage };

/** The catalog message an error of ours carries, or one of ours for a graphql-js text. */
function catalogMessage(error: unknown, info: InfoName, message: string): CatalogMessage | null {
  const own =
    error instanceof GraphQLError && error.originalError instanceof ApiError
      ? error.originalError
      : error instanceof ApiError
        ? error
        : null;
  if (own) return { key: own.messageKey, params: own.messageParams };
  const key = info === 'QUERY_TOO_COMPLEX' ? OWN_MESSAGES.get(message) : undefined;
  return key ? { key } : null;
}

const INFOS_BY_CODE = new Map<number, InfoName>(
  Object.entries(STATUS_TABLE).map(([info, row]) => [row.infocode, info as InfoName]),
);

/** Which row of the status table an error in the `errors` array belongs to. */
export function classify(error: unknown): InfoName {
  if (!(error instanceof GraphQLError)) return 'INTERNAL_ERROR';
  const original = error.originalError;
  if (original instanceof ApiError) return original.info;
  if (error instanceof ApiError) return error.info;
  const declared = error.extensions.infocode;
  if (typeof declared === 'number' && INFOS_BY_CODE.has(declared)) {
    return INFOS_BY_CODE.get(declared)!;
  }
  switch (error.extensions.code) {
    case ApolloServerErrorCode.GRAPHQL_VALIDATION_FAILED:
    case ApolloServerErrorCode.BAD_USER_INPUT:
      if (VALIDATION_LIMITS.has(error.message)) return 'QUERY_TOO_COMPLEX';
      return MISSING_REQUIRED.some((pattern) => pattern.test(error.message))
        ? 'MISSING_REQUIRED_PARAMS'
        : 'INVALID_REQUEST';
    case ApolloServerErrorCode.GRAPHQL_PARSE_FAILED:
      return TOO_MANY_TOKENS.test(error.message) ? 'QUERY_TOO_COMPLEX' : 'INVALID_REQUEST';
    case ApolloServerErrorCode.BAD_REQUEST:
    case ApolloServerErrorCode.OPERATION_RESOLUTION_FAILURE:
    case ApolloServerErrorCode.PERSISTED_QUERY_NOT_FOUND:
    case ApolloServerErrorCode.PERSISTED_QUERY_NOT_SUPPORTED:
      return 'INVALID_REQUEST';
    default: {
      // graphql-js's own error (no subclass: none of ours, nor a library's) failing a field.
      if (
        error.path &&
        original !== undefined &&
        Object.getPrototypeOf(original) === GraphQLError.prototype &&
        ARGUMENT_MISSING.some((pattern) => pattern.test(original.message))
      ) {
        return 'MISSING_REQUIRED_PARAMS';
      }
      // Apollo's own request errors without a code (malformed persisted queries) carry a 4xx.
      const http = error.extensions.http as { status?: unknown } | undefined;
      const status = typeof http?.status === 'number' ? http.status : 0;
      return status >= 400 && status < 500 ? 'INVALID_REQUEST' : 'INTERNAL_ERROR';
    }
  }
}

/**
 * Apollo's `extensions.code` beside our info. Apollo gives INTERNAL_SERVER_ERROR to every error
 * that names no code of its own (its persisted-query refusals, say). Beside an error of the
 * client's that would send an Apollo Client error link down its server-failure path (a retry, an
 * alert): there it is BAD_REQUEST.
 */
function apolloCode(info: InfoName, code: unknown): unknown {
  if (info === 'INTERNAL_ERROR') return ApolloServerErrorCode.INTERNAL_SERVER_ERROR;
  return code === undefined || code === ApolloServerErrorCode.INTERNAL_SERVER_ERROR
    ? ApolloServerErrorCode.BAD_REQUEST
    : code;
}

/**
 * Apollo's formatError: every entry gets its infocode and info; an unexpected failure keeps
 * nothing of its own text (no stack, SQL or library message), only a generic one.
 */
export function formatError(formatted: GraphQLFormattedError, error: unknown): FormattedError {
  const info = classify(error);
  const internal = info === 'INTERNAL_ERROR';
  const own = internal ? null : catalogMessage(error, info, formatted.message);
  return {
    message: internal
      ? STATUS_TABLE.INTERNAL_ERROR.en
      : own
        ? translate('en', own.key, own.params)
        : formatted.message,
    ...(formatted.locations && !internal ? { locations: formatted.locations } : {}),
    ...(formatted.path ? { path: formatted.path } : {}),
    extensions: {
      code: apolloCode(info, formatted.extensions?.code),
      infocode: infocodeOf(info),
      info,
    },
    ...(own ? { [CATALOG]: own } : {}),
  };
}

type Path = readonly (string | number)[];

/**
 * Orders two response paths as their fields stand in the document: the order of `data`'s keys,
 * or, where `data` is null because a non-null root field failed, the order of `rootKeys`.
 */
function comparePaths(a: Path, b: Path, data: unknown, rootKeys: readonly string[]): number {
  let node: unknown = data;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x !== y) {
      if (typeof x === 'number' && typeof y === 'number') return x - y;
      const keys =
        node !== null && typeof node === 'object' ? Object.keys(node) : i === 0 ? rootKeys : null;
      if (!keys) return 0;
      return keys.indexOf(String(x)) - keys.indexOf(String(y));
    }
    node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[x] : null;
  }
  return a.length - b.length;
}

/**
 * The response keys of an operation's root fields in the order it selects them, its fragments
 * followed where they stand: the order `data`'s keys would have had.
 */
function rootResponseKeys(
  document: DocumentNode | undefined,
  operation: OperationDefinitionNode | undefined,
): string[] {
  if (!document || !operation) return [];
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) {
      fragments.set(definition.name.value, definition);
    }
  }
  const keys = new Set<string>();
  const followed = new Set<string>();
  const collect = (selectionSet: SelectionSetNode): void => {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        keys.add((selection.alias ?? selection.name).value);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        collect(selection.selectionSet);
      } else if (!followed.has(selection.name.value)) {
        followed.add(selection.name.value);
        const fragment = fragments.get(selection.name.value);
        if (fragment) collect(fragment.selectionSet);
      }
    }
  };
  collect(operation.selectionSet);
  return [...keys];
}

interface Outcome {
  path: Path | undefined;
  info: InfoName;
}

/** E3: OK when every field succeeded, else the first failure in document order. */
export function responseInfo(
  data: unknown,
  failures: readonly Outcome[],
  errors: readonly GraphQLFormattedError[] | undefined,
  rootKeys: () => readonly string[] = () => [],
): { infocode: number; info: InfoName } {
  const outcomes: Outcome[] = [...failures];
  for (const error of errors ?? []) {
    const info = error.extensions?.info;
    outcomes.push({
      path: error.path,
      info:
        typeof info === 'string' && info in STATUS_TABLE ? (info as InfoName) : 'INTERNAL_ERROR',
    });
  }
  if (outcomes.length === 0) return { infocode: 1000, info: 'OK' };
  const roots = data === null && outcomes.length > 1 ? rootKeys() : [];
  // A request-level error (no path: syntax, validation, HTTP) comes before any field's outcome.
  const first = outcomes.reduce((best, next) => {
    if (!best.path) return best;
    if (!next.path) return next;
    return comparePaths(next.path, best.path, data, roots) < 0 ? next : best;
  });
  return { infocode: infocodeOf(first.info), info: first.info };
}

/** E4 for the `errors` array, and the request id that lets a 1023 be found in the log. */
export function localizeErrors(
  errors: readonly GraphQLFormattedError[] | undefined,
  lang: Lang,
  requestId: string,
): GraphQLFormattedError[] | undefined {
  return errors?.map((error) => {
    const info = error.extensions?.info as InfoName | undefined;
    if (info === 'INTERNAL_ERROR') {
      return {
        ...error,
        message: translate(lang, 'internal.error', { requestId }),
        extensions: { ...error.extensions, requestId },
      };
    }
    if (lang === 'zh' && info) {
      // Our own messages in Chinese; graphql-js's and Apollo's (a syntax error, an unknown
      // field) have no translation, so their English follows the row's Chinese text.
      const own = (error as FormattedError)[CATALOG];
      const detail = own ? translate('zh', own.key, own.params) : error.message;
      return { ...error, message: `${describe(info, 'zh')}：${detail}` };
    }
    return error;
  });
}

/** The property Apollo's pipeline adds when it spreads the request context (requestDidStart). */
const SPREAD_KEY = 'useLegacyIncremental';

/** Adds the envelope to every GraphQL response Apollo executes, and logs unexpected failures. */
export function envelopePlugin(logger: Logger): ApolloServerPlugin<Context> {
  // One listener for every request: each hook reads the request from its arguments.
  const listener: GraphQLRequestListener<Context> = {
    didEncounterErrors({ errors, contextValue }) {
      for (const error of errors) {
        if (error.originalError instanceof ClientGone) {
          // Not a failure of ours: the client hung up while its request waited (for a hash).
          logger.info(
            { requestId: contextValue.requestId, path: error.path },
            'client gone before its answer: the work still queued for it was skipped',
          );
        } else if (classify(error) === 'INTERNAL_ERROR') {
          logger.error(
            {
              requestId: contextValue.requestId,
              err: safeError(error.originalError ?? error),
              path: error.path,
            },
            'unexpected failure',
          );
        }
      }
      return Promise.resolve();
    },
    willSendResponse({ response, contextValue, document, operation }) {
      // Apollo answers with `{ ...response.http, body }`: the same spread as in requestDidStart.
      (response.http as unknown as Record<string, unknown>).body = undefined;
      if (response.body.kind === 'single') {
        const result = response.body.singleResult;
        const errors =
          result.errors && localizeErrors(result.errors, contextValue.lang, contextValue.requestId);
        // A new result rather than properties added to Apollo's (itself a spread's copy): see
        // requestDidStart below.
        response.body.singleResult = {
          data: result.data,
          errors,
          extensions: Object.assign(
            {},
            result.extensions,
            responseInfo(result.data, contextValue.failures, errors, () =>
              rootResponseKeys(document, operation),
            ),
          ),
        };
      }
      return Promise.resolve();
    },
  };
  return {
    requestDidStart(requestContext) {
      // Apollo's pipeline hands each operation's request context on as
      // `{ ...requestContext, useLegacyIncremental }`. On Node 20's V8 a spread that adds a
      // property its source lacks keeps alive, through the young generation's collections, the
      // young objects the copy refers to: 380 bytes a request reached the old generation that
      // way, most of what fills it between mark-compacts (README, "Speed"). With the property
      // already there the spread only overwrites it, and nothing is promoted. Apollo reads its
      // own value from the copy, never this one.
      (requestContext as unknown as Record<string, unknown>)[SPREAD_KEY] = false;
      return Promise.resolve(listener);
    },
  };
}
