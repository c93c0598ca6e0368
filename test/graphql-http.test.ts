import { type AuditResult, serverAudits } from 'graphql-http';
import { startServer, type TestServer } from './support/server';

/**
 * SHOULD audits this server fails on purpose, and the answer it gives instead.
 *
 * Apollo Server answers a request that never reaches execution (a document that does not parse
 * or validate, variables that do not coerce) with HTTP 400 whatever the Accept header, and we
 * keep that: the README promises 400 for them. The GraphQL-over-HTTP spec asks for 400 under
 * `application/graphql-response+json` (those audits pass) but recommends 200 under plain
 * `application/json`, where a client cannot tell a GraphQL 400 from a proxy's.
 */
const intendedDeviations: Record<string, { code: string; message: RegExp }> = {
  // `{` does not parse.
  '572B': { code: 'GRAPHQL_PARSE_FAILED', message: /^Syntax Error: Expected Name/ },
  // Meant as a validation failure, but graphql-js 16 already fails to lex `8f31…` as a number.
  FDE2: { code: 'GRAPHQL_PARSE_FAILED', message: /^Syntax Error: Invalid number/ },
  // Meant as a coercion failure, but `$id` is unused, so validation refuses it first. A real
  // coercion failure is 400 too (BAD_USER_INPUT, 1001 or 1021).
  '7B9B': { code: 'GRAPHQL_VALIDATION_FAILED', message: /"\$id" is never used/ },
};

describe('graphql-http server audits (GraphQL over HTTP)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server.close());

  const audits = serverAudits({ url: () => server.url });

  it('excuses no MUST audit, and every excuse names an audit that exists', () => {
    for (const id of Object.keys(intendedDeviations)) {
      const audit = audits.find((candidate) => candidate.id === id);
      expect(audit?.name).toMatch(/^(SHOULD|MAY) /);
    }
  });

  for (const audit of audits) {
    const deviation = intendedDeviations[audit.id];
    const title = `${audit.id} ${audit.name}${deviation ? ' (fails by design: 400)' : ''}`;

    it(title, async () => {
      const result: AuditResult = await audit.fn();
      if (!deviation) {
        const reason = result.status === 'ok' ? undefined : result.reason;
        expect({ status: result.status, reason }).toEqual({ status: 'ok', reason: undefined });
        return;
      }
      // The audit fails, and only because the answer is our 400 envelope.
      expect(result.status).toBe('warn');
      if (result.status === 'ok') return;
      expect(result.reason).toBe('Response status code is not 200');
      expect(result.response.status).toBe(400);
      expect(result.response.headers.get('content-type')).toMatch(/^application\/json/);
      const body = (await result.response.json()) as Record<string, unknown>;
      expect(body).toEqual({
        errors: [
          {
            message: expect.stringMatching(deviation.message) as unknown,
            locations: expect.any(Array) as unknown,
            extensions: { code: deviation.code, infocode: 1021, info: 'INVALID_REQUEST' },
          },
        ],
        extensions: { infocode: 1021, info: 'INVALID_REQUEST' },
      });
    });
  }
});
