import {
  getNamedType,
  type GraphQLNamedType,
  isInterfaceType,
  isIntrospectionType,
  isObjectType,
  Kind,
  SchemaMetaFieldDef,
  TypeMetaFieldDef,
  type ASTVisitor,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import { ApiError } from '../info/api-error';
import { type MessageKey, type MessageParams } from '../info/i18n';

/** The bounds every operation must stay within (1022 QUERY_TOO_COMPLEX beyond them). */
export const QUERY_LIMITS = {
  /**
   * Nested field levels; the deepest useful operation of this schema needs 5. `ofType` on an
   * introspection type adds none (see QueryLimitsRule), so the standard introspection query is 6.
   */
  depth: 12,
  /** Aliased fields, counting each use of a fragment. */
  aliases: 30,
  /** Lexical tokens of the document, enforced by the parser itself. */
  tokens: 3000,
  /** Fields that check a password: aliases must not multiply guesses. */
  credentialFields: 1,
} as const;

/**
 * Mutation fields that each check a password, a mailed token or a refresh token (a forged one
 * costs a walk of its session's chain), or hash a new password: at most one per operation.
 * (AuthPayload's own `refreshToken` field is only a string.)
 */
export const CREDENTIAL_FIELDS: ReadonlySet<string> = new Set([
  'login',
  'register',
  'changePassword',
  'deleteAccount',
  'resetPassword',
  'refreshToken',
]);

interface Shape {
  depth: number;
  aliases: number;
  credentialFields: number;
}

const LEAF: Shape = { depth: 0, aliases: 0, credentialFields: 0 };

const tooComplex = (key: MessageKey, params: MessageParams): ApiError =>
  new ApiError('QUERY_TOO_COMPLEX', key, params);

/**
 * `ofType` on an introspection type (`__Type`) is a chain of one object per level that the
 * schema's own wrapping (`[[T!]!]`...) ends after a few steps: it cannot fan out, so it adds no
 * depth. Clients' standard introspection query unrolls it nine times (15 levels in all). Every
 * other field counts, so `fields { type { fields { type ... } } }` stays bounded.
 */
const isFreeLevel = (parent: GraphQLNamedType | undefined, field: string): boolean =>
  field === 'ofType' && parent !== undefined && isIntrospectionType(parent);

/**
 * One pass over each operation, following fragments (each measured once and then reused, so a
 * hostile document cannot make the measuring itself expensive). The type each selection set is
 * on is followed too, only to tell an introspection type's `ofType` from any other field; where
 * it is unknown (a field the schema lacks, which graphql's own rules report) every field counts.
 */
export const QueryLimitsRule: ValidationRule = (context: ValidationContext): ASTVisitor => {
  const schema = context.getSchema();
  const mutation = schema.getMutationType() ?? undefined;
  const fragments = new Map<string, Shape>();
  const measuring = new Set<string>();

  const typeOfField = (
    parent: GraphQLNamedType | undefined,
    field: string,
  ): GraphQLNamedType | undefined => {
    if (parent === undefined) return undefined;
    if (parent === schema.getQueryType()) {
      if (field === SchemaMetaFieldDef.name) return getNamedType(SchemaMetaFieldDef.type);
      if (field === TypeMetaFieldDef.name) return getNamedType(TypeMetaFieldDef.type);
    }
    if (!isObjectType(parent) && !isInterfaceType(parent)) return undefined;
    const definition = parent.getFields()[field];
    return definition && getNamedType(definition.type);
  };

  const shapeOf = (selectionSet: SelectionSetNode, parent: GraphQLNamedType | undefined): Shape => {
    const shape: Shape = { ...LEAF };
    const add = (inner: Shape, levels: number): void => {
      shape.depth = Math.max(shape.depth, inner.depth + levels);
      shape.aliases += inner.aliases;
      shape.credentialFields += inner.credentialFields;
    };
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        const name = selection.name.value;
        if (selection.alias) shape.aliases += 1;
        if (parent === mutation && CREDENTIAL_FIELDS.has(name)) shape.credentialFields += 1;
        add(
          selection.selectionSet
            ? shapeOf(selection.selectionSet, typeOfField(parent, name))
            : LEAF,
          isFreeLevel(parent, name) ? 0 : 1,
        );
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const on = selection.typeCondition
          ? (schema.getType(selection.typeCondition.name.value) ?? undefined)
          : parent;
        add(shapeOf(selection.selectionSet, on), 0);
      } else {
        const name = selection.name.value;
        let known = fragments.get(name);
        if (!known && !measuring.has(name)) {
          const fragment = context.getFragment(name);
          if (fragment) {
            measuring.add(name); // cycles are reported by graphql's own rule; here they just stop
            known = shapeOf(
              fragment.selectionSet,
              schema.getType(fragment.typeCondition.name.value) ?? undefined,
            );
            measuring.delete(name);
            fragments.set(name, known);
          }
        }
        if (known) add(known, 0);
      }
    }
    return shape;
  };

  return {
    OperationDefinition(operation) {
      const shape = shapeOf(
        operation.selectionSet,
        schema.getRootType(operation.operation) ?? undefined,
      );
      if (shape.credentialFields > QUERY_LIMITS.credentialFields) {
        context.reportError(
          tooComplex('limit.credentialFields', {
            max: QUERY_LIMITS.credentialFields,
            fields: [...CREDENTIAL_FIELDS].join(', '),
            count: shape.credentialFields,
          }),
        );
      }
      if (shape.depth > QUERY_LIMITS.depth) {
        context.reportError(
          tooComplex('limit.depth', { depth: shape.depth, max: QUERY_LIMITS.depth }),
        );
      }
      if (shape.aliases > QUERY_LIMITS.aliases) {
        context.reportError(
          tooComplex('limit.aliases', { count: shape.aliases, max: QUERY_LIMITS.aliases }),
        );
      }
      return false; // fragments are measured through their spreads
    },
  };
};

/**
 * graphql-js's own message when the parser stops at maxTokens, whole: a syntax error quotes the
 * token it did not expect, and a string token may say anything.
 */
// (graphql 16 spells it "more that"; later versions may fix the typo.)
export const TOO_MANY_TOKENS =
  /^Syntax Error: Document contains more tha[nt] \d+ tokens\. Parsing aborted\.$/;

/**
 * graphql-js 16 validates a subscription against a schema without a Subscription type and only
 * fails when executing it, as an unexpected error. It is a bad request (1021), so it is refused
 * here, before anything runs.
 */
export const KnownOperationTypeRule: ValidationRule = (context: ValidationContext): ASTVisitor => ({
  OperationDefinition(operation) {
    if (!context.getSchema().getRootType(operation.operation)) {
      context.reportError(
        new ApiError(
          'INVALID_REQUEST',
          'request.noSuchOperationType',
          { operation: operation.operation },
          operation,
        ),
      );
    }
    return false;
  },
});
