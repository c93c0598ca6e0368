import { type GraphQLResolveInfo, responsePathAsArray } from 'graphql';
import {
  createUnionType,
  Field,
  InterfaceType,
  Int,
  ObjectType,
  registerEnumType,
  type ClassType,
} from 'type-graphql';
import { type Context } from '../context';
import { type MessageKey, type MessageParams } from './i18n';
import { Info, type InfoName, infocodeOf, STATUS_TABLE } from './status';

registerEnumType(Info, {
  name: 'Info',
  description: 'The symbolic name of an infocode; see the infoCodes query for the whole table.',
  valuesConfig: Object.fromEntries(
    Object.entries(STATUS_TABLE).map(([name, row]) => [
      name,
      { description: `${row.infocode}: ${row.en}` },
    ]),
  ),
});

/** The description of every `message` field: translated text, and which language it is in. */
const MESSAGE =
  'Human-readable text: Chinese for Accept-Language zh or any zh-*, English otherwise ' +
  '(of the two, the language the client ranks higher wins).';

/** A message that is translated on its way out, in the language of the request. */
export interface Translatable {
  readonly messageKey: MessageKey;
  readonly messageParams?: MessageParams;
}

@InterfaceType({
  description: 'Every expected failure: an infocode from the status table, its name and a message.',
})
export abstract class ErrorResult implements Translatable {
  @Field(() => Int, { description: 'The numeric code of this outcome in the status table.' })
  infocode: number;

  @Field(() => Info, { description: 'The symbolic name of infocode.' })
  info: InfoName;

  /** Resolved by ErrorResultResolver from messageKey, in the request's language. */
  @Field(() => String, { description: MESSAGE })
  message!: string;

  readonly messageKey: MessageKey;
  readonly messageParams?: MessageParams;

  constructor(info: InfoName, messageKey: MessageKey, messageParams?: MessageParams) {
    this.info = info;
    this.infocode = infocodeOf(info);
    this.messageKey = messageKey;
    this.messageParams = messageParams;
  }
}

@ObjectType({ description: 'One rule an input field broke.' })
export class FieldViolation implements Translatable {
  @Field(() => String, { description: 'The input field, as named in the schema.' })
  field: string;

  @Field(() => Int, { description: 'The numeric code of the rule broken, from the status table.' })
  infocode: number;

  @Field(() => Info, { description: 'The symbolic name of infocode.' })
  info: InfoName;

  @Field(() => String, { description: MESSAGE })
  message!: string;

  readonly messageKey: MessageKey;
  readonly messageParams?: MessageParams;

  constructor(
    field: string,
    info: InfoName,
    messageKey: MessageKey,
    messageParams?: MessageParams,
  ) {
    this.field = field;
    this.info = info;
    this.infocode = infocodeOf(info);
    this.messageKey = messageKey;
    this.messageParams = messageParams;
  }
}

@ObjectType({
  implements: ErrorResult,
  description:
    'The input broke one or more field rules. infocode and field are those of the first violation in input-field order.',
})
export class InvalidInput extends ErrorResult {
  @Field(() => String, {
    description: 'The input field or argument of the first violation, as named in the schema.',
  })
  field: string;

  @Field(() => [FieldViolation], {
    description: 'Every rule the input broke, all at once, in input-field order.',
  })
  violations: FieldViolation[];

  constructor(violations: [FieldViolation, ...FieldViolation[]]) {
    const [first] = violations;
    super(first.info, first.messageKey, first.messageParams);
    this.field = first.field;
    this.violations = violations;
  }
}

type SimpleErrorClass = new (messageKey?: MessageKey, params?: MessageParams) => ErrorResult;

/** Declares an error member of the result unions: a type implementing ErrorResult with one infocode. */
function simpleError(
  name: string,
  info: InfoName,
  defaultKey: MessageKey,
  description: string,
): SimpleErrorClass {
  @ObjectType(name, { implements: ErrorResult, description })
  class SimpleError extends ErrorResult {
    constructor(messageKey: MessageKey = defaultKey, params?: MessageParams) {
      super(info, messageKey, params);
    }
  }
  Object.defineProperty(SimpleError, 'name', { value: name });
  return SimpleError;
}

export const MailboxOccupied = simpleError(
  'MailboxOccupied',
  'MAILBOX_OCCUPIED',
  'mailbox.occupied',
  '1012: the email belongs to another user.',
);
export const AccountGenerationError = simpleError(
  'AccountGenerationError',
  'ACCOUNT_GENERATION_ERROR',
  'account.generation',
  '1007: the account could not be created or stored; retry later.',
);
export const UserNotExist = simpleError(
  'UserNotExist',
  'USER_NOT_EXIST',
  'user.notFound',
  '1016: no such user.',
);
export const WrongPassword = simpleError(
  'WrongPassword',
  'WRONG_PASSWORD',
  'password.wrong',
  '1008: the password is wrong.',
);
export const TokenExpired = simpleError(
  'TokenExpired',
  'TOKEN_EXPIRED_ERROR',
  'token.expired',
  '1009: the access token has expired; refresh it or log in again.',
);
export const InvalidToken = simpleError(
  'InvalidToken',
  'INVALID_TOKEN_ERROR',
  'token.invalid',
  '1010: the token is missing, malformed, forged or revoked.',
);
export const InsufficientPermissions = simpleError(
  'InsufficientPermissions',
  'INSUFFICIENT_PERMISSIONS',
  'permission.otherProfile',
  '1011: the caller may not do this.',
);

export const EmailNotVerified = simpleError(
  'EmailNotVerified',
  'EMAIL_NOT_VERIFIED',
  'email.notVerified',
  '1024: the email address is not verified yet (REQUIRE_EMAIL_VERIFICATION=true); a new link was sent to it.',
);

/**
 * A result union whose error members are recorded as they are resolved, so the response's
 * top-level extensions can name the first failure in document order.
 */
export function resultUnion<T extends readonly [ClassType, ...ClassType[]]>(
  name: string,
  description: string,
  types: () => T,
) {
  return createUnionType({
    name,
    description,
    types,
    resolveType: (value: object, context: Context, info: GraphQLResolveInfo) => {
      if (value instanceof ErrorResult) {
        context.failures.push({ path: responsePathAsArray(info.path), info: value.info });
      }
      return value.constructor as ClassType;
    },
  });
}

@ObjectType({
  implements: ErrorResult,
  description: '1020: a rate limit was hit; try again after retryAfter seconds.',
})
export class TooManyRequests extends ErrorResult {
  @Field(() => Int, { description: 'Seconds until the limit lets this request through again.' })
  retryAfter: number;

  constructor(retryAfter: number) {
    super('TOO_MANY_REQUESTS', 'rate.limited', { seconds: retryAfter });
    this.retryAfter = retryAfter;
  }
}
