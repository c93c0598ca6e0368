import { type TestServer } from './server';

// What a test file handled that must never reach a log: every password, token and hash it saw,
// per server. At the end, that server's log is read and none of it may be there.
const secrets = new Map<TestServer, Set<string>>();

export function keep(server: TestServer, ...values: string[]): void {
  const kept = secrets.get(server) ?? new Set<string>();
  for (const value of values) if (value) kept.add(value);
  secrets.set(server, kept);
}

/**
 * The log holds none of the server's kept secrets and no password hash; unless `errorsExpected`,
 * no line at error level either.
 */
export function expectCleanLog(server: TestServer, errorsExpected = false): void {
  const text = server.logText();
  const kept = [...(secrets.get(server) ?? [])];
  expect(kept.length).toBeGreaterThan(0);
  expect(kept.filter((secret) => text.includes(secret))).toEqual([]);
  expect(text).not.toMatch(/\$argon2/);
  if (!errorsExpected) {
    expect(server.logs.filter((line) => Number(line.level) >= 50)).toEqual([]);
  }
}
