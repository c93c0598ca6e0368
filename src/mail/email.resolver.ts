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
    @Arg('email', () => String) email: string,
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
    @Arg('token', () => String) token: string,
    @Arg('newPassword', () => String) newPassword: string,
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
    @Arg('token', () => String) token: string,
    @Ctx() ctx: Context,
  ): Promise<typeof VerifyEmailResult> {
    return this.email.verifyEmail(ctx, token);
  }
}
