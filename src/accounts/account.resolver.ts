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
    @Arg('input', () => RegisterInput, {
      description: 'The new account; InvalidInput lists every rule it breaks at once.',
    })
    input: RegisterInput,
    @Ctx() ctx: Context,
  ): Promise<typeof RegisterResult> {
    return this.accounts.register(ctx, input);
  }

  @Mutation(() => LoginResult, { description: 'Public. Checks a password and opens a session.' })
  login(
    @Arg('input', () => LoginInput, {
      description:
        'account or email, and the password. Unknown account or email: 1016 (1008 with ' +
        'HIDE_ACCOUNT_EXISTENCE=true).',
    })
    input: LoginInput,
    @Ctx() ctx: Context,
  ): Promise<typeof LoginResult> {
    return this.accounts.login(ctx, input);
  }

  @Mutation(() => UpdateProfileResult, {
    description:
      "Signed in. Changes the caller's profile, or with userId another user's (ADMIN only).",
  })
  updateProfile(
    @Arg('input', () => UpdateProfileInput, {
      description: 'The fields to change; fields left out stay as they are.',
    })
    input: UpdateProfileInput,
    @Arg('userId', () => ID, {
      nullable: true,
      description:
        "Whose profile: absent, blank or the caller's own id is the caller; anyone else's " +
        'needs ADMIN (else 1011).',
    })
    userId: string | null | undefined,
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
    @Arg('currentPassword', () => String, {
      description: 'The password now: wrong 1008, empty 1001.',
    })
    currentPassword: string,
    @Arg('newPassword', () => String, {
      description:
        '8-128 characters; not the email, the username or a common password (else 1003).',
    })
    newPassword: string,
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
    @Arg('password', () => String, {
      description: "The caller's current password; wrong or empty: 1008.",
    })
    password: string,
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
    @Arg('id', () => ID, {
      nullable: true,
      description: 'The user id; one that is not a UUID names no one (1016).',
    })
    id: string | null | undefined,
    @Arg('account', () => String, {
      nullable: true,
      description:
        'The 10-digit account number, used when id is absent or blank: malformed 1014, empty 1001.',
    })
    account: string | null | undefined,
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
