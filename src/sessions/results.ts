import { Field, ID, Int, ObjectType } from 'type-graphql';
import { AuthPayload } from '../accounts/results';
import {
  InvalidInput,
  InvalidToken,
  resultUnion,
  TokenExpired,
  TooManyRequests,
  UserNotExist,
  WrongPassword,
} from '../info/results';

@ObjectType({ description: 'How many sessions a logout or revocation ended (0 is not an error).' })
export class LogoutSuccess {
  @Field(() => Int, {
    description: 'How many live sessions ended: 0 or 1, or any number with allSessions.',
  })
  revokedSessions: number;

  constructor(revokedSessions: number) {
    this.revokedSessions = revokedSessions;
  }
}

@ObjectType({ description: 'The account is gone, with its sessions; its email is free again.' })
export class AccountDeleted {
  @Field(() => ID, { description: 'The id the deleted user had.' })
  id: string;

  constructor(id: string) {
    this.id = id;
  }
}

@ObjectType('Session', { description: 'A signed-in device of the caller.' })
export class SessionView {
  @Field(() => ID, { description: 'What revokeSession(id) takes to end it.' })
  id!: string;

  @Field(() => Date, {
    description: 'When it was opened: by register, login, changePassword or resetPassword.',
  })
  createdAt!: Date;

  @Field(() => Date, { description: 'When it was opened or its refresh token last used.' })
  lastUsedAt!: Date;

  @Field(() => String, { nullable: true, description: 'The client address it was opened from.' })
  address!: string | null;

  @Field(() => String, { nullable: true, description: 'The User-Agent it was opened with.' })
  userAgent!: string | null;

  @Field(() => Boolean, { description: 'True for the session this request came with.' })
  current!: boolean;
}

@ObjectType({ description: "The caller's live sessions, most recently used first." })
export class SessionList {
  @Field(() => [SessionView], {
    description: 'Every session of the caller that has not ended or expired.',
  })
  items: SessionView[];

  constructor(items: SessionView[]) {
    this.items = items;
  }
}

export const RefreshTokenResult = resultUnion(
  'RefreshTokenResult',
  'A new access token and the refresh token to use next time, or why there is none.',
  () => [AuthPayload, InvalidToken, TokenExpired, UserNotExist] as const,
);

export const LogoutResult = resultUnion(
  'LogoutResult',
  'How many sessions ended, or why none could.',
  () => [LogoutSuccess, TokenExpired, InvalidToken] as const,
);

export const ChangePasswordResult = resultUnion(
  'ChangePasswordResult',
  'A fresh session (every other one has ended), or why the password did not change.',
  () =>
    [
      AuthPayload,
      InvalidInput,
      WrongPassword,
      TooManyRequests,
      TokenExpired,
      InvalidToken,
    ] as const,
);

export const DeleteAccountResult = resultUnion(
  'DeleteAccountResult',
  'The deleted account, or why it still exists.',
  () => [AccountDeleted, WrongPassword, TooManyRequests, TokenExpired, InvalidToken] as const,
);

export const SessionsResult = resultUnion(
  'SessionsResult',
  "The caller's live sessions, or why they cannot be listed.",
  () => [SessionList, TokenExpired, InvalidToken] as const,
);
