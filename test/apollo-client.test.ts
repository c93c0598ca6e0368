import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  ApolloClient,
  ApolloLink,
  CombinedGraphQLErrors,
  gql,
  HttpLink,
  InMemoryCache,
  type NormalizedCacheObject,
} from '@apollo/client';
import { map } from 'rxjs';
import ts from 'typescript';
import {
  AccountError,
  createClient,
  login,
  me,
  register,
  updateProfile,
} from '../examples/apollo-client';
import { LoginDocument, MeDocument, RegisterDocument } from './generated/graphql';
import introspection from './generated/possible-types';
import { startServer, type TestServer } from './support/server';

const unique = () => randomUUID().slice(0, 8);
const newUser = () => {
  const id = unique();
  return { username: `ada ${id}`, email: `ada-${id}@example.com`, password: `analytical ${id}` };
};

describe('the Apollo Client example, over HTTP against the real server', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server.close());

  it('registers, logs in, reads me and updates the profile', async () => {
    const client = createClient(server.url);
    const input = newUser();

    const registered = await register(client, input);
    expect(registered.user).toMatchObject({ username: input.username, email: input.email });
    expect(registered.user.account).toMatch(/^[1-9]\d{9}$/);

    const session = await login(client, { email: input.email, password: input.password });
    expect(session.user.id).toBe(registered.user.id);

    const user = await me(client, session.accessToken);
    expect(user).toMatchObject({ __typename: 'User', id: registered.user.id, role: 'USER' });

    const updated = await updateProfile(client, session.accessToken, {
      introduction: 'First programmer.',
      avatar: 'https://example.com/ada.png',
    });
    expect(updated).toMatchObject({
      id: registered.user.id,
      introduction: 'First programmer.',
      avatar: 'https://example.com/ada.png',
    });
    expect((await me(client, session.accessToken)).introduction).toBe('First programmer.');
  });

  it('a wrong password is WrongPassword 1008, its code read from the union member', async () => {
    const client = createClient(server.url);
    const input = newUser();
    await register(client, input);
    const refusal = login(client, { email: input.email, password: 'not the password' });
    await expect(refusal).rejects.toBeInstanceOf(AccountError);
    await expect(refusal).rejects.toMatchObject({
      typename: 'WrongPassword',
      infocode: 1008,
      info: 'WRONG_PASSWORD',
      message: 'The password is wrong.',
    });
  });

  it('an email taken in any case is MailboxOccupied 1012, on register and on updateProfile', async () => {
    const client = createClient(server.url);
    const first = newUser();
    await register(client, first);
    await expect(
      register(client, { ...newUser(), email: first.email.toUpperCase() }),
    ).rejects.toMatchObject({
      typename: 'MailboxOccupied',
      infocode: 1012,
      info: 'MAILBOX_OCCUPIED',
    });

    const second = newUser();
    const { accessToken } = await register(client, second);
    await expect(
      updateProfile(client, accessToken, { email: first.email, currentPassword: second.password }),
    ).rejects.toMatchObject({ typename: 'MailboxOccupied', infocode: 1012 });
  });

  it("broken rules are InvalidInput with the first violation's code; a bad token is InvalidToken 1010", async () => {
    const client = createClient(server.url);
    await expect(
      register(client, { username: 'x', email: 'not an email', password: 'short' }),
    ).rejects.toMatchObject({ typename: 'InvalidInput', infocode: 1002 });
    await expect(me(client, 'not-a-token')).rejects.toMatchObject({
      typename: 'InvalidToken',
      infocode: 1010,
      info: 'INVALID_TOKEN_ERROR',
    });
  });

  describe('the cache', () => {
    it('matches ... on ErrorResult against union members only with possibleTypes', async () => {
      const input = newUser();
      await register(createClient(server.url), input);
      const variables = { input: { email: input.email, password: 'not the password' } };
      const typed = createClient(server.url);
      const untyped = new ApolloClient({
        link: new HttpLink({ uri: server.url }),
        cache: new InMemoryCache(),
      });

      // The example's cache knows WrongPassword implements ErrorResult (the Failure fragment).
      const withTypes = await typed.mutate({ mutation: LoginDocument, variables });
      expect(withTypes.data?.login).toEqual({
        __typename: 'WrongPassword',
        infocode: 1008,
        info: 'WRONG_PASSWORD',
        message: 'The password is wrong.',
      });
      // The same answer through a cache without possibleTypes loses every ErrorResult field.
      const withoutTypes = await untyped.mutate({ mutation: LoginDocument, variables });
      expect(withoutTypes.data?.login).toEqual({ __typename: 'WrongPassword' });

      // Queries are read back from the cache, so the same holds for me.
      const headers = { authorization: 'Bearer not-a-token' };
      const read = (client: ApolloClient) =>
        client.query({ query: MeDocument, context: { headers }, fetchPolicy: 'network-only' });
      expect((await read(typed)).data?.me).toMatchObject({
        __typename: 'InvalidToken',
        infocode: 1010,
      });
      expect((await read(untyped)).data?.me).toEqual({ __typename: 'InvalidToken' });
    });

    it('keeps one User per id, so updateProfile refreshes the cached me', async () => {
      const client = createClient(server.url);
      const { accessToken, user } = await register(client, newUser());
      await me(client, accessToken);
      const cached = client.cache.extract() as NormalizedCacheObject;
      expect(cached.ROOT_QUERY?.me).toEqual({ __ref: `User:${user.id}` });
      expect(cached[`User:${user.id}`]).toMatchObject({ __typename: 'User', id: user.id });

      await updateProfile(client, accessToken, { introduction: 'Cached once.' });
      const fromCache = client.readQuery({ query: MeDocument });
      expect(fromCache?.me).toMatchObject({ id: user.id, introduction: 'Cached once.' });
    });

    it('has an entry for every union and for ErrorResult in the schema', () => {
      const schema = readFileSync(join(__dirname, '..', 'schema.graphql'), 'utf8');
      const abstract = [...schema.matchAll(/^(?:union|interface) (\w+)/gm)].map((m) => m[1]);
      expect(Object.keys(introspection.possibleTypes).sort()).toEqual(abstract.sort());
      expect(introspection.possibleTypes.ErrorResult).toContain('WrongPassword');
    });
  });

  describe('codes in the response extensions', () => {
    it('mutate results carry them as result.extensions', async () => {
      const client = createClient(server.url);
      const input = newUser();
      const created = await client.mutate({ mutation: RegisterDocument, variables: { input } });
      expect(created.extensions).toEqual({ infocode: 1000, info: 'OK' });
      const refused = await client.mutate({
        mutation: LoginDocument,
        variables: { input: { email: input.email, password: 'not the password' } },
      });
      expect(refused.extensions).toEqual({ infocode: 1008, info: 'WRONG_PASSWORD' });
    });

    it('query results do not, so a link reads them on the way in', async () => {
      // Apollo Client 4 keeps a query's extensions to itself (only fetchMore sees them); a link
      // in front of HttpLink sees every response whole.
      const seen: unknown[] = [];
      const recordExtensions = new ApolloLink((operation, forward) =>
        forward(operation).pipe(
          map((result) => {
            seen.push(result.extensions);
            return result;
          }),
        ),
      );
      const client = new ApolloClient({
        link: recordExtensions.concat(new HttpLink({ uri: server.url })),
        cache: new InMemoryCache({ possibleTypes: introspection.possibleTypes }),
      });
      const { accessToken } = await register(client, newUser());
      await me(client, accessToken);
      await expect(me(client, 'not-a-token')).rejects.toMatchObject({ infocode: 1010 });
      expect(seen).toEqual([
        { infocode: 1000, info: 'OK' },
        { infocode: 1000, info: 'OK' },
        { infocode: 1010, info: 'INVALID_TOKEN_ERROR' },
      ]);
    });

    it('a request GraphQL refuses rejects with CombinedGraphQLErrors that carry the codes', async () => {
      const client = createClient(server.url);
      const refusal = client.query({
        query: gql`
          query Unknown {
            noSuchField
          }
        `,
      });
      await expect(refusal).rejects.toBeInstanceOf(CombinedGraphQLErrors);
      const error = (await refusal.catch((e: unknown) => e)) as CombinedGraphQLErrors;
      expect(error.errors[0]?.extensions).toMatchObject({
        infocode: 1021,
        info: 'INVALID_REQUEST',
      });
      expect(error.extensions).toEqual({ infocode: 1021, info: 'INVALID_REQUEST' });
    });

    it('a request refused before GraphQL (413) rejects with CombinedGraphQLErrors too', async () => {
      // Apollo Client 4 accepts application/graphql-response+json, so the refusal comes in that
      // media type and the client reads its body as a GraphQL response.
      const client = createClient(server.url);
      const tooLarge = register(client, { ...newUser(), introduction: 'x'.repeat(200_000) });
      const error = (await tooLarge.catch((e: unknown) => e)) as CombinedGraphQLErrors;
      expect(error).toBeInstanceOf(CombinedGraphQLErrors);
      expect(error.errors[0]?.extensions).toMatchObject({
        infocode: 1022,
        info: 'QUERY_TOO_COMPLEX',
      });
      expect(error.extensions).toEqual({ infocode: 1022, info: 'QUERY_TOO_COMPLEX' });
    });
  });
});

/**
 * The example's switches end in `const unhandled: never = result`. That is a promise that a
 * union member without a case does not compile. These tests compile the example with the
 * TypeScript compiler, changed in memory, and expect exactly that error.
 */
describe('the example switches are exhaustive at compile time', () => {
  const root = resolve(__dirname, '..');
  const examplePath = join(root, 'examples', 'apollo-client.ts');
  const generatedPath = join(root, 'test', 'generated', 'graphql.ts');
  const exampleText = readFileSync(examplePath, 'utf8');

  const tsconfig: { config?: unknown } = ts.readConfigFile(join(root, 'tsconfig.json'), (path) =>
    ts.sys.readFile(path),
  );
  const options: ts.CompilerOptions = {
    ...ts.parseJsonConfigFileContent(tsconfig.config, ts.sys, root).options,
    noEmit: true,
    sourceMap: false,
  };
  const parsed = new Map<string, ts.SourceFile>();

  interface Problem {
    code: number;
    message: string;
    function: string | undefined;
    line: string;
  }

  /** Type-checks the example with some files' text replaced; returns the example's errors. */
  function compile(replaced: Record<string, string>): Problem[] {
    const host = ts.createCompilerHost(options);
    const readFile = host.readFile.bind(host);
    host.readFile = (path) => replaced[resolve(path)] ?? readFile(path);
    host.getSourceFile = (path, languageVersion) => {
      const text = replaced[resolve(path)];
      if (text !== undefined) return ts.createSourceFile(path, text, languageVersion, true);
      let file = parsed.get(path);
      if (!file) {
        file = ts.createSourceFile(path, readFile(path) ?? '', languageVersion, true);
        parsed.set(path, file);
      }
      return file;
    };
    const program = ts.createProgram({ rootNames: [examplePath], options, host });
    const example = program.getSourceFile(examplePath)!;
    return ts.getPreEmitDiagnostics(program).map((diagnostic) => {
      const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
      if (diagnostic.file !== example || diagnostic.start === undefined) {
        return { code: diagnostic.code, message, function: undefined, line: '' };
      }
      const { line } = example.getLineAndCharacterOfPosition(diagnostic.start);
      return {
        code: diagnostic.code,
        message,
        function: enclosingFunction(example, diagnostic.start),
        line: example.text.split('\n')[line]!.trim(),
      };
    });
  }

  function enclosingFunction(file: ts.SourceFile, position: number): string | undefined {
    const declaration = file.statements.find(
      (statement): statement is ts.FunctionDeclaration =>
        ts.isFunctionDeclaration(statement) &&
        statement.getStart(file) <= position &&
        position < statement.getEnd(),
    );
    return declaration?.name?.text;
  }

  /** The example's text without the `case '<typename>':` clause (and its statements) of one function. */
  function withoutCase(functionName: string, typename: string): string {
    const file = ts.createSourceFile(examplePath, exampleText, ts.ScriptTarget.Latest, true);
    let clause: ts.CaseClause | undefined;
    const visit = (node: ts.Node): void => {
      if (
        ts.isCaseClause(node) &&
        ts.isStringLiteral(node.expression) &&
        node.expression.text === typename &&
        enclosingFunction(file, node.getStart(file)) === functionName
      ) {
        clause = node;
      }
      ts.forEachChild(node, visit);
    };
    visit(file);
    if (!clause) throw new Error(`no case '${typename}' in ${functionName}()`);
    return exampleText.slice(0, clause.getStart(file)) + exampleText.slice(clause.getEnd());
  }

  const neverError = (functionName: string, typename: string) => ({
    code: 2322, // Type '…' is not assignable to type 'never'.
    message: expect.stringMatching(
      new RegExp(`__typename: "${typename}".*is not assignable to type 'never'`, 's'),
    ) as unknown,
    function: functionName,
    line: 'const unhandled: never = result;',
  });

  it('the example as written compiles', () => {
    expect(compile({})).toEqual([]);
  });

  it.each([
    ['register', 'MailboxOccupied'],
    ['register', 'AuthPayload'],
    ['login', 'WrongPassword'],
    ['me', 'TokenExpired'],
    ['updateProfile', 'InsufficientPermissions'],
  ])('%s() without its %s case does not compile', (functionName, typename) => {
    expect(compile({ [examplePath]: withoutCase(functionName, typename) })).toEqual([
      neverError(functionName, typename),
    ]);
  });

  it('a member added to LoginResult does not compile until login() handles it', () => {
    const generated = readFileSync(generatedPath, 'utf8');
    const head = 'export type LoginMutation = { login:\n';
    expect(generated).toContain(head);
    const grown = generated.replace(
      head,
      `${head}    | { __typename: 'NotYetHandled', infocode: number, info: Info, message: string }\n`,
    );
    expect(compile({ [generatedPath]: grown })).toEqual([neverError('login', 'NotYetHandled')]);
  });
});
