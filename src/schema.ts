import { type GraphQLSchema } from 'graphql';
import { buildSchema, type ContainerType } from 'type-graphql';
import { AccountResolver } from './accounts/account.resolver';
import { AdminResolver } from './accounts/admin.resolver';
import { AdminService } from './accounts/admin.service';
import { type AccountService } from './accounts/account.service';
import { EmailResolver } from './mail/email.resolver';
import { type EmailService } from './mail/email.service';
import { SessionResolver } from './sessions/session.resolver';
import { type Sessions } from './sessions/sessions';
import {
  ErrorResultResolver,
  FieldViolationResolver,
  InfoCodesResolver,
} from './info/info.resolver';

export const RESOLVERS = [
  AccountResolver,
  SessionResolver,
  AdminResolver,
  EmailResolver,
  InfoCodesResolver,
  ErrorResultResolver,
  FieldViolationResolver,
] as const;

export interface Services {
  accounts: AccountService;
  sessions: Sessions;
  email: EmailService;
}

/** The resolvers get their services from here; nothing is looked up by name at request time. */
function containerFor(services: Services): ContainerType {
  const instances = new Map<unknown, unknown>([
    [AccountResolver, new AccountResolver(services.accounts)],
    [SessionResolver, new SessionResolver(services.accounts, services.sessions)],
    [AdminResolver, new AdminResolver(new AdminService())],
    [EmailResolver, new EmailResolver(services.email)],
    [InfoCodesResolver, new InfoCodesResolver()],
    [ErrorResultResolver, new ErrorResultResolver()],
    [FieldViolationResolver, new FieldViolationResolver()],
  ]);
  return { get: (someClass) => instances.get(someClass) };
}

/**
 * Who may call what, for the root types: type-graphql builds Query and Mutation without a
 * description and has no option for one.
 */
const ACCESS =
  'Public needs no token; Signed in needs `Authorization: Bearer <accessToken>`; ADMIN only ' +
  'also needs the ADMIN role.';
const ROOT_DESCRIPTIONS = {
  query: `Every read. ${ACCESS}`,
  mutation: `Every write. ${ACCESS}`,
};

export async function createSchema(services: Services | null): Promise<GraphQLSchema> {
  const schema = await buildSchema({
    resolvers: RESOLVERS,
    validate: false,
    ...(services ? { container: containerFor(services) } : {}),
  });
  schema.getQueryType()!.description = ROOT_DESCRIPTIONS.query;
  schema.getMutationType()!.description = ROOT_DESCRIPTIONS.mutation;
  return schema;
}
