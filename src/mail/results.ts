import { Field, ObjectType } from 'type-graphql';
import { AuthPayload } from '../accounts/results';
import { User } from '../accounts/user.entity';
import {
  InvalidInput,
  InvalidToken,
  resultUnion,
  TokenExpired,
  TooManyRequests,
} from '../info/results';

@ObjectType({ description: 'The request was taken; what it leads to arrives by mail, if at all.' })
export class RequestAccepted {
  @Field(() => Boolean, {
    description:
      'requestPasswordReset: always true, whether or not the address belongs to anyone. ' +
      'requestEmailVerification: true when a link is on its way, false when the address is ' +
      'already verified (nothing is sent).',
  })
  accepted: boolean;

  constructor(accepted: boolean) {
    this.accepted = accepted;
  }
}

export const ResetPasswordResult = resultUnion(
  'ResetPasswordResult',
  'A fresh session with the new password (every other session ended), or why not.',
  () => [AuthPayload, InvalidInput, InvalidToken, TokenExpired, TooManyRequests] as const,
);

export const RequestEmailVerificationResult = resultUnion(
  'RequestEmailVerificationResult',
  'Whether a verification link was sent to the caller, or why not.',
  () => [RequestAccepted, TokenExpired, InvalidToken, TooManyRequests] as const,
);

export const VerifyEmailResult = resultUnion(
  'VerifyEmailResult',
  'The user whose address is now verified, or why the link does not count.',
  () => [User, InvalidToken, TokenExpired] as const,
);
