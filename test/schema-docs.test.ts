import {
  buildClientSchema,
  getIntrospectionQuery,
  type GraphQLSchema,
  type IntrospectionQuery,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  isSpecifiedScalarType,
} from 'graphql';
import { startServer, type TestServer } from './support/server';

// GraphiQL's docs pane, Apollo Sandbox and the comments graphql-codegen writes into client types
// all show a schema element's description: every element of ours has one, so a field added
// without one fails here.

/** Every type, field, argument, input field and enum value of ours, each with its description. */
function described(schema: GraphQLSchema): { name: string; description: string }[] {
  const found: { name: string; description: string }[] = [];
  const add = (name: string, description: string | null | undefined) =>
    found.push({ name, description: description?.trim() ?? '' });
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__') || isSpecifiedScalarType(type)) continue;
    add(type.name, type.description);
    if (isObjectType(type) || isInterfaceType(type)) {
      for (const field of Object.values(type.getFields())) {
        add(`${type.name}.${field.name}`, field.description);
        for (const arg of field.args) {
          add(`${type.name}.${field.name}(${arg.name})`, arg.description);
        }
      }
    } else if (isInputObjectType(type)) {
      for (const field of Object.values(type.getFields())) {
        add(`${type.name}.${field.name}`, field.description);
      }
    } else if (isEnumType(type)) {
      for (const value of type.getValues()) add(`${type.name}.${value.name}`, value.description);
    }
  }
  return found;
}

describe('schema documentation', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server.close());

  /** The served schema, as a client's introspection sees it (deprecated elements included). */
  async function servedSchema(): Promise<GraphQLSchema> {
    const query = getIntrospectionQuery({ descriptions: true, inputValueDeprecation: true });
    const { status, body } = await server.post(JSON.stringify({ query }));
    expect(body.errors).toBeUndefined();
    expect(status).toBe(200);
    return buildClientSchema(body.data as IntrospectionQuery);
  }

  it('describes every type, field, argument, input field and enum value', async () => {
    const elements = described(await servedSchema());
    // Each kind of element is reached, so an empty walk cannot pass.
    expect(elements.map((element) => element.name)).toEqual(
      expect.arrayContaining([
        'Query',
        'Mutation.login',
        'Mutation.login(input)',
        'ErrorResult.message',
        'WrongPassword.message',
        'UpdateProfileInput.avatar',
        'Role.ADMIN',
        'DateTimeISO',
      ]),
    );
    const undescribed = elements
      .filter((element) => element.description === '')
      .map((element) => element.name);
    expect(undescribed).toEqual([]);
  });

  it('says which language ErrorResult.message is in', async () => {
    const schema = await servedSchema();
    const errorResult = schema.getType('ErrorResult');
    if (!isInterfaceType(errorResult)) throw new Error('ErrorResult is not an interface');
    expect(errorResult.getFields().message!.description).toMatch(/Accept-Language.*zh/);
  });
});
