import { Field, Int, ObjectType } from 'type-graphql';
import {
  AccountGenerationError,
  EmailNotVerified,
  InsufficientPermissions,
  InvalidInput,
  InvalidToken,
  MailboxOccupied,
  resultUnion,
  TooManyRequests,
  TokenExpired,
  UserNotExist,
  WrongPassword,
} from '../info/results';
import { User } from './user.entity';

@ObjectType({
  description: 'A signed-in session: send accessToken as `Authorization: Bearer <accessToken>`.',
})
export class AuthPayload {
  @Field(() => String, {
    description: 'A JWT; it works for expiresIn seconds, or until its session ends.',
  })
  accessToken!: string;

  @Field(() => String, { description: 'Always "Bearer".' })
  tokenType!: string;

  @Field(() => Int, { description: 'Seconds until accessToken expires.' })
  expiresIn!: number;

  @Field(() => String, {
    description:
      'Opaque; shown once. Trade it for a new pair with refreshToken before refreshExpiresIn.',
  })
  refreshToken!: string;

  @Field(() => Int, { description: 'Seconds until refreshToken expires if it is not used.' })
  refreshExpiresIn!: number;

  @Field(() => User, { description: 'The signed-in user, email included.' })
  user!: User;
}

export const RegisterResult = resultUnion(
  'RegisterResult',
  'A new account and its first session, or why there is none.',
  () =>
    [AuthPayload, InvalidInput, MailboxOccupied, AccountGenerationError, TooManyRequests] as const,
);

export const LoginResult = resultUnion(
  'LoginResult',
  'A new session, or why there is none.',
  () =>
    [
      AuthPayload,
      InvalidInput,
      UserNotExist,
      WrongPassword,
      TooManyRequests,
      EmailNotVerified,
    ] as const,
);

export const UpdateProfileResult = resultUnion(
  'UpdateProfileResult',
  'The user as stored after the change, or why nothing changed.',
  () =>
    [
      User,
      InvalidInput,
      MailboxOccupied,
      WrongPassword,
      TokenExpired,
      InvalidToken,
      InsufficientPermissions,
      UserNotExist,
      TooManyRequests,
    ] as const,
);

export const MeResult = resultUnion(
  'MeResult',
  'The caller, or why the token names nobody.',
  () => [User, TokenExpired, InvalidToken, UserNotExist] as const,
);

export const UserResult = resultUnion(
  'UserResult',
  'The user looked up, or why there is none.',
  () => [User, InvalidInput, UserNotExist] as const,
);

@ObjectType({ description: 'One user in a page of users, with the cursor that points at it.' })
export class UserEdge {
  @Field(() => String, { description: 'Opaque: pass as after to get the users after this one.' })
  cursor!: string;

  @Field(() => User, { description: 'The user, email included (the caller is an admin).' })
  node!: User;
}

@ObjectType({ description: 'Where a page of users ends.' })
export class PageInfo {
  @Field(() => Boolean, { description: 'True when more users follow endCursor.' })
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true, description: 'The last cursor of this page.' })
  endCursor!: string | null;
}

@ObjectType({
  description: 'A page of users, oldest account first; the order is stable as users are added.',
})
export class UserConnection {
  @Field(() => [UserEdge], { description: 'At most first users, oldest account first.' })
  edges!: UserEdge[];

  @Field(() => PageInfo, { description: 'Whether more users follow, and where to go on from.' })
  pageInfo!: PageInfo;

  @Field(() => Int, { description: 'How many users match the search, on every page.' })
  totalCount!: number;
}

export const UsersResult = resultUnion(
  'UsersResult',
  'A page of users, or why it cannot be read.',
  () =>
    [UserConnection, InvalidInput, InsufficientPermissions, TokenExpired, InvalidToken] as const,
);

export const SetRoleResult = resultUnion(
  'SetRoleResult',
  'The user with their new role, or why it did not change.',
  () => [User, InsufficientPermissions, UserNotExist, TokenExpired, InvalidToken] as const,
);
