import { randomUUID } from 'node:crypto';
import { RegisterDocument, type RegisterInput } from '../generated/graphql';
import { type TestServer } from './server';

export interface Registered {
  id: string;
  account: string;
  email: string;
  password: string;
  username: string;
  token: string;
  refreshToken: string;
  /** The session the tokens belong to (the access token's sid claim). */
  sessionId: string;
}

/** The sid claim of an access token: the session it belongs to. */
export function sessionIdOf(accessToken: string): string {
  const payload = JSON.parse(Buffer.from(accessToken.split('.')[1]!, 'base64url').toString()) as {
    sid: string;
  };
  return payload.sid;
}

/** Registers a user with valid, unique details (overridable) and returns what a client would keep. */
export async function registerUser(
  server: TestServer,
  overrides: Partial<RegisterInput> = {},
): Promise<Registered> {
  const unique = randomUUID().slice(0, 8);
  const input: RegisterInput = {
    username: `user ${unique}`,
    email: `user-${unique}@example.com`,
    password: `correct horse ${unique}`,
    ...overrides,
  };
  const { body } = await server.request(RegisterDocument, { input });
  const result = body.data?.register;
  if (result?.__typename !== 'AuthPayload') {
    throw new Error(`registration failed: ${JSON.stringify(body)}`);
  }
  return {
    id: result.user.id,
    account: result.user.account,
    email: input.email,
    password: input.password,
    username: result.user.username,
    token: result.accessToken,
    refreshToken: result.refreshToken,
    sessionId: sessionIdOf(result.accessToken),
  };
}
