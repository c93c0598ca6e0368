import { randomBytes } from 'node:crypto';
import { LoginDocument, type RegisterInput } from '../generated/graphql';
import { registerUser, type Registered } from './accounts';
import { startServer, type TestServer } from './server';

export const ADMIN_EMAIL = 'root@example.com';
export const ADMIN_PASSWORD = 'admin password 42';

export interface SignedInAdmin {
  id: string;
  account: string;
  token: string;
}

/** Logs the ADMIN_EMAIL admin in and checks that they are one. */
export async function loginAdmin(server: TestServer): Promise<SignedInAdmin> {
  const { body } = await server.request(LoginDocument, {
    input: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD },
  });
  const result = body.data?.login;
  if (result?.__typename !== 'AuthPayload' || result.user.role !== 'ADMIN') {
    throw new Error(`admin login failed: ${JSON.stringify(body)}`);
  }
  return { id: result.user.id, account: result.user.account, token: result.accessToken };
}

/** A real server whose only admin is the ADMIN_EMAIL one (made at start-up), signed in. */
export async function startServerWithAdmin(
  env: Record<string, string> = {},
): Promise<{ server: TestServer; admin: SignedInAdmin }> {
  const server = await startServer({ ADMIN_EMAIL, ADMIN_PASSWORD, ...env });
  try {
    return { server, admin: await loginAdmin(server) };
  } catch (error) {
    await server.close();
    throw error;
  }
}

/**
 * Registers `count` users, `batch` at a time (each registration costs an argon2 hash, so a few at
 * once keep every core busy without queueing hundreds of requests). Batches run one after the
 * other, so a later batch is always registered after an earlier one finished. Results are in
 * index order.
 */
export async function registerMany(
  server: TestServer,
  count: number,
  details: (index: number) => Partial<RegisterInput> = () => ({}),
  batch = 10,
): Promise<Registered[]> {
  const users: Registered[] = [];
  for (let start = 0; start < count; start += batch) {
    const indexes = Array.from({ length: Math.min(batch, count - start) }, (_, n) => start + n);
    users.push(...(await Promise.all(indexes.map((i) => registerUser(server, details(i))))));
  }
  return users;
}

/** Random lower-case ASCII letters (no digits, so never the start of an account number). */
export function letters(length = 8): string {
  return [...randomBytes(length)].map((byte) => String.fromCharCode(97 + (byte % 26))).join('');
}
