import { ApolloClient, InMemoryCache } from '@apollo/client';
import { SignJWT } from 'jose';
import { sessionLink, type Tokens } from '../examples/refresh-on-1009';
import { LogoutDocument, MeDocument } from './generated/graphql';
import introspection from './generated/possible-types';
import { registerUser, type Registered } from './support/accounts';
import { bearer, startServer, TEST_JWT_SECRET, type TestServer } from './support/server';

// The README's Apollo Client example of refreshing on 1009. The access token handed to the client
// is an expired one of the user's real session (signed as the server signs), so no test waits.
describe('refreshing on 1009 with Apollo Client', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server.close());

  const expiredAccessToken = (user: Registered): Promise<string> => {
    const past = Math.floor(Date.now() / 1000) - 60;
    return new SignJWT({ sid: user.sessionId })
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
      .setIssuer('account-api')
      .setAudience('account-api')
      .setSubject(user.id)
      .setJti(`expired-${user.id}`)
      .setIssuedAt(past - 900)
      .setExpirationTime(past)
      .sign(new TextEncoder().encode(TEST_JWT_SECRET));
  };
  const clientFor = (tokens: Tokens) =>
    new ApolloClient({
      link: sessionLink(server.url, tokens),
      cache: new InMemoryCache({ possibleTypes: introspection.possibleTypes }),
    });

  it('an expired access token is refreshed and the queries answered', async () => {
    const user = await registerUser(server);
    const expired = await expiredAccessToken(user);
    expect((await server.request(MeDocument, {}, bearer(expired))).body.data?.me).toMatchObject({
      __typename: 'TokenExpired',
      infocode: 1009,
    });
    const tokens = { accessToken: expired, refreshToken: user.refreshToken };
    const client = clientFor(tokens);
    const [first, second] = await Promise.all([
      client.query({ query: MeDocument, fetchPolicy: 'network-only' }),
      client.query({ query: MeDocument, fetchPolicy: 'no-cache' }),
    ]);
    expect(first.data?.me).toMatchObject({ __typename: 'User', id: user.id });
    expect(second.data?.me).toMatchObject({ __typename: 'User', id: user.id });
    expect(tokens.accessToken).not.toBe(expired);
    expect(tokens.refreshToken).not.toBe(user.refreshToken);
  });

  it('when the session has ended, the 1009 answer is passed on (log in again)', async () => {
    const user = await registerUser(server);
    const { body } = await server.request(LogoutDocument, {}, bearer(user.token));
    expect(body.data?.logout).toMatchObject({ revokedSessions: 1 });
    const tokens = { accessToken: await expiredAccessToken(user), refreshToken: user.refreshToken };
    const { data } = await clientFor(tokens).query({
      query: MeDocument,
      fetchPolicy: 'network-only',
    });
    expect(data?.me).toMatchObject({ __typename: 'TokenExpired', infocode: 1009 });
    expect(tokens.refreshToken).toBe(user.refreshToken);
  });
});
