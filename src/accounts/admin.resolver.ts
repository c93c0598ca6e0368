import { Arg, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import { type Context } from '../context';
import { type AdminService } from './admin.service';
import { SetRoleResult, UsersResult } from './results';
import { Role } from './user.entity';

@Resolver()
export class AdminResolver {
  constructor(private readonly admin: AdminService) {}

  @Query(() => UsersResult, {
    description:
      'ADMIN only. Users, oldest first, by opaque cursor; search matches the start of the ' +
      'username or email (any case) or the account number.',
  })
  users(
    @Arg('first', () => Int, { nullable: true, defaultValue: 20, description: '1-100.' })
    first: number | null,
    @Arg('after', () => String, {
      nullable: true,
      description:
        'Opaque: a UserEdge.cursor or pageInfo.endCursor from an earlier page; the page starts ' +
        'after that user. Any other string is 1001.',
    })
    after: string | null | undefined,
    @Arg('search', () => String, {
      nullable: true,
      description:
        'Matches the start of the username (NFKC, any case), email (any case) or account ' +
        'number; % and _ are literal. At most 254 characters (else 1001).',
    })
    search: string | null | undefined,
    @Ctx() ctx: Context,
  ): Promise<typeof UsersResult> {
    return this.admin.users(ctx, first, after, search);
  }

  @Mutation(() => SetRoleResult, {
    description:
      'ADMIN only. Gives a user a role; it bites on their next request. The last admin cannot ' +
      'be demoted (1011).',
  })
  setRole(
    @Arg('userId', () => ID, { description: 'The user whose role changes; unknown: 1016.' })
    userId: string,
    @Arg('role', () => Role, {
      description: 'The role to give; giving the one the user has already changes nothing.',
    })
    role: Role,
    @Ctx() ctx: Context,
  ): Promise<typeof SetRoleResult> {
    return this.admin.setRole(ctx, userId, role);
  }
}
