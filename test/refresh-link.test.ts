import { ApolloClient, InMemoryCache } from '@apollo/client';
import { sessionLink, type Tokens } from '../examples/refresh-on-1009';
import { LogoutDocument, MeDocument } from './generated/graphql';
import introspection from './generated/possible-types';
import { registerUser } from './support/accounts';
import { bearer, startServer, type TestServer } from './support/server';

// The README's Apollo Client example of refreshing on 1009, against a server whose access tokens
// live one second.
describe('refreshing on 1009 with Apollo Client', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ ACCESS_TOKEN_TTL: '1s' });
  });
  afterAll(() => server.close());

  const expire = () => new Promise((passed) => setTimeout(passed, 2100));
  const clientFor = (tokens: Tokens) =>
    new ApolloClient({
      link: sessionLink(server.url, tokens),
      cache: new InMemoryCache({ possibleTypes: introspection.possibleTypes }),
    });

  it('an expired access token is refreshed once and the query answered', async () => {
    const user = await registerUser(server);
    const tokens = { accessToken: user.token, refreshToken: user.refreshToken };
    const client = clientFor(tokens);
    await expire();
    const [first, second] = await Promise.all([
      client.query({ query: MeDocument, fetchPolicy: 'network-only' }),
      client.query({ query: MeDocument, fetchPolicy: 'no-cache' }),
    ]);
    expect(first.data?.me?.__typename).toBe('User');
    expect(second.data?.me?.__typename).toBe('User');
    expect(tokens.accessToken).not.toBe(user.token);
    expect(tokens.refreshToken).not.toBe(user.refreshToken);
    const { body } = await server.request(MeDocument, {}, bearer(tokens.accessToken));
    expect(body.data?.me?.__typename).toBe('User');
  });

  it('when the session has ended, the 1009 answer is passed on (log in again)', async () => {
    const user = await registerUser(server);
    const tokens = { accessToken: user.token, refreshToken: user.refreshToken };
    await server.request(LogoutDocument, {}, bearer(user.token));
    await expire();
    const { data } = await clientFor(tokens).query({
      query: MeDocument,
      fetchPolicy: 'network-only',
    });
    expect(data?.me).toMatchObject({ __typename: 'TokenExpired', infocode: 1009 });
    expect(tokens.refreshToken).toBe(user.refreshToken);
  });
});
