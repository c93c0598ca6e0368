import { Field, Int, ObjectType } from 'type-graphql';
import {
  AccountGenerationError,
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
  @Field(() => String)
  accessToken!: string;

  @Field(() => String, { description: 'Always "Bearer".' })
  tokenType!: string;

  @Field(() => Int, { description: 'Seconds until accessToken expires.' })
  expiresIn!: number;

  @Field(() => User)
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
  () => [AuthPayload, InvalidInput, UserNotExist, WrongPassword, TooManyRequests] as const,
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
