// A typed Apollo Client 4 for the account API. Types come from `npm run codegen`.
// Try it against a running server: npx tsx examples/apollo-client.ts [http://localhost:4000/graphql]
import { ApolloClient, HttpLink, InMemoryCache } from '@apollo/client';
import {
  type Info,
  LoginDocument,
  type LoginInput,
  MeDocument,
  RegisterDocument,
  type RegisterInput,
  UpdateProfileDocument,
  type UpdateProfileInput,
  type UserFieldsFragment,
} from '../test/generated/graphql';
import introspection from '../test/generated/possible-types';

export function createClient(uri = 'http://localhost:4000/graphql'): ApolloClient {
  return new ApolloClient({
    link: new HttpLink({ uri }),
    // Which types make up each result union and ErrorResult. Without it the cache cannot match
    // `... on ErrorResult` to, say, WrongPassword, and infocode, info and message go missing.
    cache: new InMemoryCache({ possibleTypes: introspection.possibleTypes }),
  });
}

/** An expected failure: a member of the result union, with its code from the status table. */
export class AccountError extends Error {
  readonly typename: string;
  readonly infocode: number;
  readonly info: Info;

  constructor(
    result: { __typename: string; infocode: number; info: Info; message: string },
    message = result.message,
  ) {
    super(message);
    this.typename = result.__typename;
    this.infocode = result.infocode;
    this.info = result.info;
  }
}

export interface Session {
  accessToken: string;
  user: UserFieldsFragment;
}

const bearer = (accessToken: string) => ({ headers: { authorization: `Bearer ${accessToken}` } });

// errorPolicy 'none': a request GraphQL itself refuses (errors[], infocode 1021 or 1022) rejects
// the promise. Expected failures are not errors: they arrive as members of the result union.

export async function register(client: ApolloClient, input: RegisterInput): Promise<Session> {
  const { data } = await client.mutate({
    mutation: RegisterDocument,
    variables: { input },
    errorPolicy: 'none',
  });
  const result = data.register;
  switch (result.__typename) {
    case 'AuthPayload':
      return { accessToken: result.accessToken, user: result.user };
    case 'InvalidInput':
      throw new AccountError(result, result.violations.map((v) => v.message).join(' '));
    case 'TooManyRequests':
      throw new AccountError(result, `${result.message} (retry in ${result.retryAfter} s)`);
    case 'MailboxOccupied':
    case 'AccountGenerationError':
      throw new AccountError(result);
    default: {
      const unhandled: never = result;
      throw new Error(`Unexpected result: ${JSON.stringify(unhandled)}`);
    }
  }
}

export async function login(client: ApolloClient, input: LoginInput): Promise<Session> {
  const { data } = await client.mutate({
    mutation: LoginDocument,
    variables: { input },
    errorPolicy: 'none',
  });
  const result = data.login;
  switch (result.__typename) {
    case 'AuthPayload':
      return { accessToken: result.accessToken, user: result.user };
    case 'InvalidInput':
      throw new AccountError(result, result.violations.map((v) => v.message).join(' '));
    case 'TooManyRequests':
      throw new AccountError(result, `${result.message} (retry in ${result.retryAfter} s)`);
    case 'WrongPassword':
    case 'UserNotExist':
    case 'EmailNotVerified': // REQUIRE_EMAIL_VERIFICATION=true: a new link was mailed
      throw new AccountError(result);
    default: {
      const unhandled: never = result;
      throw new Error(`Unexpected result: ${JSON.stringify(unhandled)}`);
    }
  }
}

export async function me(client: ApolloClient, accessToken: string): Promise<UserFieldsFragment> {
  // network-only: always ask the server, since the token may have expired since the last answer.
  const { data } = await client.query({
    query: MeDocument,
    context: bearer(accessToken),
    fetchPolicy: 'network-only',
    errorPolicy: 'none',
  });
  const result = data.me;
  switch (result.__typename) {
    case 'User':
      return result;
    case 'TokenExpired':
    case 'InvalidToken':
    case 'UserNotExist':
      throw new AccountError(result);
    default: {
      const unhandled: never = result;
      throw new Error(`Unexpected result: ${JSON.stringify(unhandled)}`);
    }
  }
}

/** Changes the caller's profile, or with `userId` another user's (admins only). */
export async function updateProfile(
  client: ApolloClient,
  accessToken: string,
  input: UpdateProfileInput,
  userId?: string,
): Promise<UserFieldsFragment> {
  const { data } = await client.mutate({
    mutation: UpdateProfileDocument,
    variables: { input, userId },
    context: bearer(accessToken),
    errorPolicy: 'none',
  });
  const result = data.updateProfile;
  switch (result.__typename) {
    case 'User':
      return result; // the cache now holds the new profile, for `me` too: both are User:<id>
    case 'InvalidInput':
      throw new AccountError(result, result.violations.map((v) => v.message).join(' '));
    case 'TooManyRequests':
      throw new AccountError(result, `${result.message} (retry in ${result.retryAfter} s)`);
    case 'WrongPassword':
    case 'MailboxOccupied':
    case 'InsufficientPermissions':
    case 'UserNotExist':
    case 'TokenExpired':
    case 'InvalidToken':
      throw new AccountError(result);
    default: {
      const unhandled: never = result;
      throw new Error(`Unexpected result: ${JSON.stringify(unhandled)}`);
    }
  }
}

async function demo(uri?: string): Promise<void> {
  const client = createClient(uri);
  const email = `ada-${Date.now()}@example.com`;
  const password = 'analytical engine';
  await register(client, { username: 'Ada Lovelace', email, password });
  try {
    await login(client, { email, password: 'difference engine' });
  } catch (error) {
    if (!(error instanceof AccountError)) throw error;
    console.log(`login refused: ${error.infocode} ${error.info}: ${error.message}`);
  }
  const { accessToken } = await login(client, { email, password });
  console.log('me:', await me(client, accessToken));
  const updated = await updateProfile(client, accessToken, { introduction: 'First programmer.' });
  console.log('introduction:', updated.introduction);
}

if (require.main === module) {
  demo(process.argv[2]).catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
