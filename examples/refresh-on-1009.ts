// Apollo Client 4 links that keep a session alive: each request carries the current access
// token, and a request answered 1009 (access token expired) is sent once more after a refresh.
import { ApolloLink, HttpLink } from '@apollo/client';
import { print } from 'graphql';
import { from, mergeMap, of } from 'rxjs';
import { RefreshTokenDocument } from '../test/generated/graphql';

export interface Tokens {
  accessToken: string;
  refreshToken: string;
}

export function sessionLink(uri: string, tokens: Tokens): ApolloLink {
  let refreshing: Promise<boolean> | null = null;

  /** Trades the refresh token for a new pair; false when the session is over (log in again). */
  const refresh = async (): Promise<boolean> => {
    const response = await fetch(uri, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query: print(RefreshTokenDocument),
        variables: { refreshToken: tokens.refreshToken },
      }),
    });
    const { data } = (await response.json()) as {
      data?: { refreshToken: { __typename: string; accessToken?: string; refreshToken?: string } };
    };
    const result = data?.refreshToken;
    if (result?.__typename !== 'AuthPayload') return false;
    tokens.accessToken = result.accessToken!;
    tokens.refreshToken = result.refreshToken!;
    return true;
  };

  const retryOn1009 = new ApolloLink((operation, forward) =>
    forward(operation).pipe(
      mergeMap((result) => {
        if (result.extensions?.infocode !== 1009 || operation.getContext().retried === true) {
          return of(result);
        }
        // Requests that expire together share one refresh.
        refreshing ??= refresh().finally(() => (refreshing = null));
        return from(refreshing).pipe(
          mergeMap((refreshed) => {
            if (!refreshed) return of(result);
            operation.setContext({ retried: true });
            return forward(operation);
          }),
        );
      }),
    ),
  );

  const bearer = new ApolloLink((operation, forward) => {
    operation.setContext(({ headers }: { headers?: Record<string, string> }) => ({
      headers: { ...headers, authorization: `Bearer ${tokens.accessToken}` },
    }));
    return forward(operation);
  });

  return ApolloLink.from([retryOn1009, bearer, new HttpLink({ uri })]);
}
