import { type GraphiQLProps } from 'graphiql';

type Tab = NonNullable<GraphiQLProps['defaultTabs']>[number];

/** Every tab starts with these headers: paste the accessToken from register or login. */
export const AUTHORIZATION_HEADERS = `{
  "Authorization": "Bearer <paste accessToken>"
}`;

const example = (query: string, variables: string | null = null): Tab => ({
  query,
  variables,
  headers: AUTHORIZATION_HEADERS,
});

/**
 * The tabs GraphiQL opens with on a browser's first visit (later visits restore the tabs from
 * localStorage). Register or log in, copy `accessToken` from the response, paste it into the
 * headers of `me` or `updateProfile`: each tab keeps its own headers.
 */
export const EXAMPLE_TABS: Tab[] = [
  example(
    `# Creates an account and signs it in. Copy accessToken from the response.
mutation Register($input: RegisterInput!) {
  register(input: $input) {
    __typename
    ... on AuthPayload {
      accessToken
      expiresIn
      user { id account username email }
    }
    ... on InvalidInput {
      infocode
      info
      message
      violations { field infocode message }
    }
    ... on ErrorResult { infocode info message }
  }
}
`,
    `{
  "input": {
    "username": "Ada Lovelace",
    "email": "ada@example.com",
    "password": "analytical engine"
  }
}`,
  ),
  example(
    `# By account number or email; account wins if both are given.
mutation Login($input: LoginInput!) {
  login(input: $input) {
    __typename
    ... on AuthPayload {
      accessToken
      expiresIn
      user { id account username }
    }
    ... on TooManyRequests { infocode info message retryAfter }
    ... on ErrorResult { infocode info message }
  }
}
`,
    `{
  "input": { "email": "ada@example.com", "password": "analytical engine" }
}`,
  ),
  example(`# Needs the Authorization header: paste the accessToken from register or login.
query Me {
  me {
    __typename
    ... on User { id account username email avatar introduction role createdAt }
    ... on ErrorResult { infocode info message }
  }
}
`),
  example(
    `# Needs the Authorization header. null clears avatar or introduction.
mutation UpdateProfile($input: UpdateProfileInput!) {
  updateProfile(input: $input) {
    __typename
    ... on User { id username avatar introduction updatedAt }
    ... on InvalidInput {
      infocode
      info
      message
      violations { field infocode message }
    }
    ... on ErrorResult { infocode info message }
  }
}
`,
    `{
  "input": { "introduction": "First programmer.", "avatar": null }
}`,
  ),
  example(
    `# Forgot the password? Ask for a link (the answer is the same for any address), then run
# ResetPassword with the token from the mail. Without SMTP_URL the mail is an .eml file in
# data/outbox/, where the token stands on a line of its own.
mutation RequestPasswordReset($email: String!) {
  requestPasswordReset(email: $email) { accepted }
}

mutation ResetPassword($token: String!, $newPassword: String!) {
  resetPassword(token: $token, newPassword: $newPassword) {
    __typename
    ... on AuthPayload { accessToken refreshToken user { id emailVerified } }
    ... on InvalidInput { infocode info message violations { field infocode message } }
    ... on ErrorResult { infocode info message }
  }
}
`,
    `{
  "email": "ada@example.com",
  "token": "<paste the token from the mail>",
  "newPassword": "difference engine"
}`,
  ),
  example(`# The whole status table. Add "Accept-Language": "zh" to the headers for Chinese.
query InfoCodes {
  infoCodes { infocode info description remedy }
}
`),
];
