import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import { type Context } from '../context';
import { EmailService } from './email.service';
import {
  RequestAccepted,
  RequestEmailVerificationResult,
  ResetPasswordResult,
  VerifyEmailResult,
} from './results';

@Resolver()
export class EmailResolver {
  constructor(private readonly email: EmailService) {}

  @Mutation(() => RequestAccepted, {
    description:
      'Public. Mails a single-use password-reset link to the address if it has an account. The ' +
      'answer is the same, in the same time, whether or not it does.',
  })
  requestPasswordReset(
    @Arg('email', () => String, {
      description: 'Where the link goes; an unknown or malformed address gets the same answer.',
    })
    email: string,
    @Ctx() ctx: Context,
  ): Promise<RequestAccepted> {
    return this.email.requestPasswordReset(ctx, email);
  }

  @Mutation(() => ResetPasswordResult, {
    description:
      'Public. Sets a new password with the token of a reset link, ends every session of the ' +
      'user and opens a new one.',
  })
  resetPassword(
    @Arg('token', () => String, {
      description: 'From the reset link. Used, replaced or unknown: 1010; expired: 1009.',
    })
    token: string,
    @Arg('newPassword', () => String, {
      description:
        '8-128 characters; not the email, the username or a common password (else 1003, ' +
        'and the token still works).',
    })
    newPassword: string,
    @Ctx() ctx: Context,
  ): Promise<typeof ResetPasswordResult> {
    return this.email.resetPassword(ctx, token, newPassword);
  }

  @Mutation(() => RequestEmailVerificationResult, {
    description:
      "Signed in. Mails a new verification link to the caller's address; links sent before stop working.",
  })
  requestEmailVerification(@Ctx() ctx: Context): Promise<typeof RequestEmailVerificationResult> {
    return this.email.requestEmailVerification(ctx);
  }

  @Mutation(() => VerifyEmailResult, {
    description: 'Public. Marks the address verified with the token of a verification link.',
  })
  verifyEmail(
    @Arg('token', () => String, {
      description: 'From the verification link. Used, replaced or unknown: 1010; expired: 1009.',
    })
    token: string,
    @Ctx() ctx: Context,
  ): Promise<typeof VerifyEmailResult> {
    return this.email.verifyEmail(ctx, token);
  }
}
