/** English messages. Every key here must exist in zh.ts too (the type checker enforces it). */
export const en = {
  'field.required': '{field} is required and may not be blank.',
  'username.length': 'The username must be 2 to 32 characters long.',
  'username.characters':
    'The username may contain letters, digits, "_", "-", "." and single spaces between words.',
  'username.confusable':
    'The username mixes look-alike alphabets in one word or stacks too many accents on a letter.',
  'password.length': 'The password must be 8 to 128 characters long.',
  'password.blank': 'The password may not be only whitespace.',
  'password.characters': 'The password contains characters that cannot be stored.',
  'password.sameAsEmail': 'The password may not be the same as the email.',
  'password.sameAsUsername': 'The password may not be the same as the username.',
  'rate.limited': 'Too many attempts. Try again in {seconds} seconds.',
  'password.common': 'This password is on a list of commonly used passwords; choose another.',
  'email.format': 'The email is not a valid address.',
  'email.length': 'The email may be at most 254 characters long.',
  'avatar.url': 'The avatar must be an absolute http or https URL.',
  'avatar.length': 'The avatar URL may be at most 255 characters long.',
  'introduction.length': 'The introduction may be at most 200 characters long.',
  'introduction.characters': 'The introduction contains control characters.',
  'account.format': 'An account number is 10 digits and does not start with 0.',
  'id.format': 'The id is not a valid user id.',
  'user.lookupMissing': 'Give an id or an account.',
  'login.missingIdentifier': 'Give an account or an email.',
  'update.nothing': 'Give at least one of username, email, avatar or introduction to change.',
  'update.currentPasswordRequired': 'Changing your email needs your current password.',
  'mailbox.occupied': 'This email belongs to another user.',
  'account.generation': 'The account could not be created. Please retry later.',
  'password.wrong': 'The password is wrong.',
  'user.notFound': 'No such user.',
  'token.missing': 'This operation needs an Authorization: Bearer <accessToken> header.',
  'token.invalid': 'The access token is malformed, forged or revoked.',
  'token.expired': 'The access token has expired.',
  'permission.otherProfile': "Only an admin may change another user's profile.",
  'token.sessionEnded':
    'The session of this access token has ended (logout, revocation, password change or deletion). Log in again.',
  'refresh.invalid': 'The refresh token is malformed or unknown.',
  'refresh.reused':
    'This refresh token was already replaced: the session has been ended to protect the account. Log in again.',
  'refresh.expired': 'The refresh token has expired. Log in again.',
  'permission.admin': 'Only an admin may do this.',
  'permission.lastAdmin': 'The last admin cannot be demoted; promote another user first.',
  'users.first': 'first must be between 1 and 100.',
  'users.after': 'after is not a cursor this API gave out.',
  'users.search': 'search may be at most 254 characters long, with no NUL character.',
  'request.persistedQueryHash':
    'The request is not a valid GraphQL request: extensions.persistedQuery.sha256Hash must be a string.',
  'request.noSuchOperationType': 'This API has no {operation} operations.',
  'limit.credentialFields':
    'An operation may hold at most {max} of {fields}; this one holds {count}.',
  'limit.depth': 'The operation is {depth} levels deep; at most {max} are allowed.',
  'limit.aliases': 'The operation uses {count} aliases; at most {max} are allowed.',
  'request.bodyTooLarge': 'The request body is larger than {max} bytes.',
  'request.accept':
    'The Accept header must allow application/json or application/graphql-response+json.',
  'request.batch':
    'Batched requests (JSON arrays) are not accepted; send one operation per request.',
  'request.contentType': 'A POST body must be JSON (Content-Type: application/json).',
  'request.charset':
    'A POST body must be encoded in UTF-8 (no charset, or charset=utf-8 in Content-Type).',
  'request.encoding': 'The request body is not valid UTF-8.',
  'request.json': 'The request body is not valid JSON.',
  'request.malformedHttp': 'The request is not valid HTTP.',
  'request.headersTooLarge':
    'The request line and headers are larger than {max} bytes; send a long query in a POST body.',
  'request.chunkExtensionsTooLarge': 'The chunk extensions of the request body are too large.',
  'request.timeout': 'The request did not arrive in time.',
  'request.tooCostlyToValidate':
    'The operation is too costly to validate: it repeats too many fields or fragment spreads. Select each field once and use fewer fragments.',
  'internal.error': 'An unexpected error occurred. Quote request id {requestId} when reporting it.',
  'reset.invalid':
    'This password-reset link is not valid: it was used already, a newer one was sent, or it was never issued.',
  'reset.expired': 'This password-reset link has expired. Ask for a new one.',
  'verify.invalid':
    'This verification link is not valid: it was used already, a newer one was sent, the email changed since, or it was never issued.',
  'verify.expired': 'This verification link has expired. Ask for a new one.',
  'email.notVerified':
    'Verify your email address before logging in. A new link was sent to it; links sent before no longer work.',
  'notFound.path': 'Nothing is served at this path; the API is at /graphql.',
} as const;

export type MessageKey = keyof typeof en;
