import { Arg, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { type Context } from '../context';
import { AccountService } from './account.service';
import { LoginInput, RegisterInput, UpdateProfileInput } from './inputs';
import { ChangePasswordResult, DeleteAccountResult } from '../sessions/results';
import { LoginResult, MeResult, RegisterResult, UpdateProfileResult, UserResult } from './results';
import { User } from './user.entity';

@Resolver(() => User)
export class AccountResolver {
  constructor(private readonly accounts: AccountService) {}

  @Mutation(() => RegisterResult, { description: 'Public. Creates an account and signs it in.' })
  register(
    @Arg('input', () => RegisterInput) input: RegisterInput,
    @Ctx() ctx: Context,
  ): Promise<typeof RegisterResult> {
    return this.accounts.register(ctx, input);
  }

  @Mutation(() => LoginResult, { description: 'Public. Checks a password and opens a session.' })
  login(
    @Arg('input', () => LoginInput) input: LoginInput,
    @Ctx() ctx: Context,
  ): Promise<typeof LoginResult> {
    return this.accounts.login(ctx, input);
  }

  @Mutation(() => UpdateProfileResult, {
    description:
      "Signed in. Changes the caller's profile, or with userId another user's (ADMIN only).",
  })
  updateProfile(
    @Arg('input', () => UpdateProfileInput) input: UpdateProfileInput,
    @Arg('userId', () => ID, { nullable: true }) userId: string | null | undefined,
    @Ctx() ctx: Context,
  ): Promise<typeof UpdateProfileResult> {
    return this.accounts.updateProfile(ctx, input, userId);
  }

  @Mutation(() => ChangePasswordResult, {
    description:
      'Signed in. Needs the current password. Ends every session of the caller, this one ' +
      'included, and returns a fresh pair for a new session.',
  })
  changePassword(
    @Arg('currentPassword', () => String) currentPassword: string,
    @Arg('newPassword', () => String) newPassword: string,
    @Ctx() ctx: Context,
  ): Promise<typeof ChangePasswordResult> {
    return this.accounts.changePassword(ctx, currentPassword, newPassword);
  }

  @Mutation(() => DeleteAccountResult, {
    description:
      "Signed in. Needs the password. Removes the caller's account and every session of it; " +
      'the email may register again.',
  })
  deleteAccount(
    @Arg('password', () => String) password: string,
    @Ctx() ctx: Context,
  ): Promise<typeof DeleteAccountResult> {
    return this.accounts.deleteAccount(ctx, password);
  }

  @Query(() => MeResult, { description: 'Signed in. The caller.' })
  me(@Ctx() ctx: Context): Promise<typeof MeResult> {
    return ctx.auth.require();
  }

  @Query(() => UserResult, {
    description: 'Public. A user by id or by account number; id wins if both are given.',
  })
  user(
    @Arg('id', () => ID, { nullable: true }) id: string | null | undefined,
    @Arg('account', () => String, { nullable: true }) account: string | null | undefined,
    @Ctx() ctx: Context,
  ): Promise<typeof UserResult> {
    return this.accounts.findUser(ctx, id, account);
  }

  @FieldResolver(() => String, {
    nullable: true,
    description: 'Only the user themself and admins see it; null for everyone else.',
  })
  email(@Root() user: User, @Ctx() ctx: Context): string | null {
    return ctx.auth.mayReadPrivateFieldsOf(user) ? user.email : null;
  }
}
