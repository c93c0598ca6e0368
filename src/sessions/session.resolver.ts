import { Arg, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import { type AccountService } from '../accounts/account.service';
import { User } from '../accounts/user.entity';
import { type Context } from '../context';
import { canonicalId } from '../db/ids';
import {
  LogoutResult,
  LogoutSuccess,
  RefreshTokenResult,
  SessionList,
  SessionsResult,
  SessionView,
} from './results';
import { type Sessions } from './sessions';

@Resolver()
export class SessionResolver {
  constructor(
    private readonly accounts: AccountService,
    private readonly store: Sessions,
  ) {}

  @Mutation(() => RefreshTokenResult, {
    description:
      'Public. Trades a refresh token for a new pair; the old one retires. Presented again within ' +
      'REFRESH_TOKEN_REUSE_INTERVAL, before its successor was used, it gets that same successor; ' +
      'any other reuse ends the session (1010).',
  })
  refreshToken(
    @Arg('refreshToken', () => String, {
      description:
        "The refresh token of the session's latest AuthPayload. Expired: 1009; malformed or " +
        'forged: 1010.',
    })
    refreshToken: string,
    @Ctx() ctx: Context,
  ): Promise<typeof RefreshTokenResult> {
    return this.accounts.refresh(ctx, refreshToken);
  }

  @Mutation(() => LogoutResult, {
    description: "Signed in. Ends the caller's session, or with allSessions every one of theirs.",
  })
  async logout(
    @Arg('allSessions', () => Boolean, {
      nullable: true,
      defaultValue: false,
      description: "true ends every live session of the caller's, not only this one.",
    })
    allSessions: boolean | null,
    @Ctx() ctx: Context,
  ): Promise<typeof LogoutResult> {
    const caller = await ctx.auth.requireSession();
    if (!(caller instanceof User)) return caller;
    const ended =
      allSessions === true
        ? await this.store.endAll(ctx.em, caller.id)
        : Number(await this.store.end(ctx.em, ctx.auth.sessionId!));
    return new LogoutSuccess(ended);
  }

  @Mutation(() => LogoutResult, {
    description:
      "Signed in. Ends one of the caller's sessions by id. Idempotent: an id that is not a live " +
      'session of the caller ends nothing (revokedSessions: 0).',
  })
  async revokeSession(
    @Arg('id', () => ID, { description: 'A Session.id from the sessions query.' })
    id: string,
    @Ctx() ctx: Context,
  ): Promise<typeof LogoutResult> {
    const caller = await ctx.auth.requireSession();
    if (!(caller instanceof User)) return caller;
    const sessionId = canonicalId(id);
    const ended = sessionId ? await this.store.endOwn(ctx.em, caller.id, sessionId) : 0;
    return new LogoutSuccess(ended);
  }

  @Query(() => SessionsResult, {
    description: "Signed in. The caller's live sessions (devices); current marks this one.",
  })
  async sessions(@Ctx() ctx: Context): Promise<typeof SessionsResult> {
    const caller = await ctx.auth.requireSession();
    if (!(caller instanceof User)) return caller;
    const live = await this.store.live(ctx.em, caller.id);
    return new SessionList(
      live.map((session) =>
        Object.assign(new SessionView(), {
          id: session.id,
          createdAt: session.createdAt,
          lastUsedAt: session.lastUsedAt,
          address: session.address,
          userAgent: session.userAgent,
          current: session.id === ctx.auth.sessionId,
        }),
      ),
    );
  }
}
