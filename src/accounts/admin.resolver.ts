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
    @Arg('after', () => String, { nullable: true }) after: string | null | undefined,
    @Arg('search', () => String, { nullable: true }) search: string | null | undefined,
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
    @Arg('userId', () => ID) userId: string,
    @Arg('role', () => Role) role: Role,
    @Ctx() ctx: Context,
  ): Promise<typeof SetRoleResult> {
    return this.admin.setRole(ctx, userId, role);
  }
}
