import { type Fetcher } from '@graphiql/toolkit';
import { parse, print, visit } from 'graphql';

/**
 * How many `ofType` levels the introspection query asks for. Four describe `[[T!]!]`; this
 * schema's deepest type is `[FieldViolation!]!` (three).
 */
const OF_TYPE_LEVELS = 4;

/**
 * The server refuses operations more than 12 levels deep (1022, src/abuse/query-limits.ts), and
 * GraphiQL's introspection query is 15 deep only because it unrolls `ofType` nine times. This
 * fetcher sends GraphiQL's own introspection query with the unrolling cut to OF_TYPE_LEVELS, which
 * keeps it at 10 levels; every other operation goes through untouched.
 */
export function withShallowIntrospection(fetcher: Fetcher): Fetcher {
  return (params, options) => {
    if (params.operationName !== 'IntrospectionQuery') return fetcher(params, options);
    let levels = 0; // ofType fields around the one being visited
    const query = visit(parse(params.query), {
      Field: {
        enter(field) {
          if (field.name.value !== 'ofType') return undefined;
          if (levels === OF_TYPE_LEVELS) return null; // removes it, and everything under it
          levels += 1;
          return undefined;
        },
        leave(field) {
          if (field.name.value === 'ofType') levels -= 1;
        },
      },
    });
    return fetcher({ ...params, query: print(query) }, options);
  };
}
