// `npm run report:abuse`: the figures of issue 4, measured against a real server on loopback.
// Every loop is bounded in count; nothing leaves 127.0.0.1.
import 'reflect-metadata';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { sessionIdOf } from '../test/support/accounts';
import { jwtAttacks } from '../test/support/jwt-attacks';
import {
  scratchFolder,
  startServer,
  TEST_JWT_SECRET,
  type TestServer,
} from '../test/support/server';
import { startProcess, stop } from './bench/process';

const REGISTER = `mutation ($input: RegisterInput!) { register(input: $input) { __typename ... on AuthPayload { accessToken user { id account } } } }`;
const LOGIN = `mutation ($input: LoginInput!) { login(input: $input) { __typename } }`;
const ME = `{ me { __typename ... on ErrorResult { infocode } } }`;
const RESET = `mutation ($email: String!) { requestPasswordReset(email: $email) { accepted } }`;

type Body = {
  data?: Record<
    string,
    { __typename: string; accessToken?: string; user?: { id: string; account: string } }
  >;
  extensions?: { infocode?: number };
};

async function call(
  server: TestServer,
  query: string,
  variables: unknown,
  headers: Record<string, string> = {},
) {
  const response = await server.post(JSON.stringify({ query, variables }), headers);
  return { status: response.status, body: response.body as unknown as Body };
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

function medianOf(times: number[]): number {
  return [...times].sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
}

async function victim(server: TestServer) {
  const { body } = await call(server, REGISTER, {
    input: {
      username: 'Victim',
      email: `victim-${Date.now()}@example.com`,
      password: 'the real password 42',
    },
  });
  const payload = body.data!.register!;
  const token = payload.accessToken!;
  return {
    id: payload.user!.id,
    account: payload.user!.account,
    token,
    sessionId: sessionIdOf(token),
  };
}

/** Wrong-password logins for one account until the server stops checking them (bounded). */
async function guessesPerWindow(
  server: TestServer,
  account: string,
  addressOf: (i: number) => string,
) {
  let checked = 0;
  for (let i = 0; i < 500; i++) {
    const { body } = await call(
      server,
      LOGIN,
      { input: { account, password: `guess number ${i}` } },
      {
        'x-forwarded-for': addressOf(i),
      },
    );
    const outcome = body.data!.login!.__typename;
    if (outcome === 'WrongPassword') checked += 1;
    else if (outcome === 'TooManyRequests') break;
  }
  return checked;
}

/** Like guessesPerWindow, but `count` guesses sent all at once, each from its own address. */
async function guessesAtOnce(server: TestServer, account: string, count: number) {
  const outcomes = await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const { body } = await call(
        server,
        LOGIN,
        { input: { account, password: `guess number ${i}` } },
        { 'x-forwarded-for': `198.51.100.${i}` },
      );
      return body.data!.login!.__typename;
    }),
  );
  return outcomes.filter((outcome) => outcome === 'WrongPassword').length;
}

async function fuzz(server: TestServer, runs: number) {
  const text = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 300 }),
    fc.string({ unit: 'grapheme', maxLength: 300 }),
    fc.constant(null),
  );
  let failures = 0;
  let tried = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.record({ username: text, password: text, email: text, avatar: text, introduction: text }),
      fc.jsonValue(),
      async (input, junk) => {
        for (const [query, variables] of [
          [REGISTER, { input }],
          [
            LOGIN,
            { input: { account: input.username, email: input.email, password: input.password } },
          ],
          [REGISTER, junk],
        ] as const) {
          tried += 1;
          const { status, body } = await call(server, query, variables);
          if (status >= 500 || body.extensions?.infocode === 1023) failures += 1;
        }
      },
    ),
    { numRuns: runs },
  );
  return { tried, failures };
}

/**
 * requestPasswordReset must answer a known and an unknown address in the same time. The server
 * runs in a process of its own, as it would for a real client: work it starts after writing the
 * answer must not be counted against the answer, as it would be in a shared event loop.
 */
async function passwordResetTiming(): Promise<[string, string]> {
  const folder = scratchFolder();
  const outbox = join(folder.path, 'outbox');
  const server = await startProcess([join(__dirname, '..', 'dist', 'main.js')], {
    DATABASE_URL: `sqlite:${join(folder.path, 'accounts.sqlite')}`,
    JWT_SECRET: TEST_JWT_SECRET,
    MAIL_OUTBOX: outbox,
    RATE_LIMIT: 'off',
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info', // the start-up line names the port
  });
  try {
    const url = `http://127.0.0.1:${server.port}/graphql`;
    const post = (query: string, variables: unknown) =>
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query, variables }),
      }).then((response) => response.text());
    const known = 'reset-timing@example.com';
    await post(REGISTER, {
      input: { username: 'Reset', email: known, password: 'the real password 42' },
    });
    const times: Record<'known' | 'unknown', number[]> = { known: [], unknown: [] };
    for (let i = 0; i < 100; i++) {
      // Interleaved, so drift on a shared machine falls on both alike; the pause lets the mail
      // of a known address be written before the next request.
      for (const which of ['known', 'unknown'] as const) {
        const email = which === 'known' ? known : `nobody-${i}@example.com`;
        times[which].push(await timed(() => post(RESET, { email })));
        await new Promise((pause) => setTimeout(pause, 20));
      }
    }
    const mailed = readdirSync(outbox).filter((name) => name.includes('resetPassword')).length;
    const [knownMs, unknownMs] = [medianOf(times.known), medianOf(times.unknown)];
    return [
      'password reset: median answer time, unknown / known address',
      `${(unknownMs / knownMs).toFixed(2)} (${unknownMs.toFixed(2)} ms / ${knownMs.toFixed(2)} ms; ${mailed} reset mails for 100 requests to each)`,
    ];
  } finally {
    await stop(server.child);
    folder.remove();
  }
}

async function main() {
  const rows: [string, string][] = [];

  const open = await startServer({ RATE_LIMIT: 'off', LOG_LEVEL: 'silent' });
  const { tried, failures } = await fuzz(open, 400);
  rows.push(['generated inputs tried (register, login, untyped variables)', String(tried)]);
  rows.push(['  answered with 5xx or 1023', String(failures)]);

  const target = await victim(open);
  const { control, attacks } = await jwtAttacks(TEST_JWT_SECRET, target.id, target.sessionId);
  let rejected = 0;
  for (const attack of attacks) {
    const { body } = await call(open, ME, {}, { authorization: `Bearer ${attack.token}` });
    if (body.extensions?.infocode === 1010) rejected += 1;
    else console.error(`NOT REJECTED: ${attack.name}`);
  }
  const accepted = (await call(open, ME, {}, { authorization: `Bearer ${control}` })).body.data!.me!
    .__typename;
  rows.push([
    'JWT attacks rejected with 1010',
    `${rejected} / ${attacks.length} (control token: ${accepted})`,
  ]);
  const health = await fetch(open.url.replace('/graphql', '/health'));
  rows.push(['/health after all of it', String(health.status)]);
  await open.close();

  // Default limits (RATE_LIMIT_LOGIN_ACCOUNT=20/15m, RATE_LIMIT_LOGIN_ADDRESS=100/15m), proxy-aware.
  const limited = await startServer({ RATE_LIMIT: '', TRUST_PROXY: '1', LOG_LEVEL: 'silent' });
  const window = limited.config.rateLimits.loginAccount.seconds;
  const perHour = (n: number) => String(Math.round((n * 3600) / window));
  const one = await guessesPerWindow(limited, (await victim(limited)).account, () => '203.0.113.7');
  rows.push(['guesses checked per account per hour, one address', perHour(one)]);
  const many = await guessesPerWindow(
    limited,
    (await victim(limited)).account,
    (i) => `198.51.100.${i % 100}`,
  );
  rows.push(['guesses checked per account per hour, 100 addresses', perHour(many)]);
  const atOnce = await guessesAtOnce(limited, (await victim(limited)).account, 100);
  rows.push(['guesses checked per account per hour, 100 addresses at once', perHour(atOnce)]);
  const aliased = await victim(limited);
  const guesses = Array.from(
    { length: 100 },
    (_, i) =>
      `g${i}: login(input: { account: "${aliased.account}", password: "alias guess ${i}" }) { __typename }`,
  );
  const { body } = await call(limited, `mutation { ${guesses.join(' ')} }`, {});
  const afterAlias = await guessesPerWindow(limited, aliased.account, () => '203.0.113.8');
  rows.push([
    'guesses checked through a 100-alias document',
    `0 (answered ${body.extensions?.infocode}; the account still had ${afterAlias} of ${limited.config.rateLimits.loginAccount.count} guesses left)`,
  ]);
  await limited.close();

  // HIDE_ACCOUNT_EXISTENCE: an unknown account must cost what a wrong password costs.
  const hidden = await startServer({
    RATE_LIMIT: 'off',
    HIDE_ACCOUNT_EXISTENCE: 'true',
    LOG_LEVEL: 'silent',
  });
  const known = await victim(hidden);
  const median = async (account: string) => {
    const times: number[] = [];
    for (let i = 0; i < 40; i++) {
      times.push(
        await timed(() =>
          call(hidden, LOGIN, { input: { account, password: 'a wrong password' } }),
        ),
      );
    }
    return medianOf(times);
  };
  const unknownAccount = known.account === '1000000000' ? '1000000001' : '1000000000';
  const [knownMs, unknownMs] = [await median(known.account), await median(unknownAccount)];
  rows.push([
    'hidden existence: median login time, unknown / known account',
    `${(unknownMs / knownMs).toFixed(2)} (${unknownMs.toFixed(1)} ms / ${knownMs.toFixed(1)} ms)`,
  ]);
  await hidden.close();

  rows.push(await passwordResetTiming());

  const width = Math.max(...rows.map(([name]) => name.length));
  console.log('\nAbuse report (issue 4)\n');
  for (const [name, value] of rows) console.log(`${name.padEnd(width)}  ${value}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
