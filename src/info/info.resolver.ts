import { Ctx, Field, FieldResolver, Int, ObjectType, Query, Resolver, Root } from 'type-graphql';
import { type Context } from '../context';
import { translate } from './i18n';
import { ErrorResult, FieldViolation } from './results';
import { Info, type InfoName, type Lang, STATUS_TABLE } from './status';

@ObjectType({ description: 'One row of the status table.' })
export class InfoCodeEntry {
  @Field(() => Int, { description: 'The numeric code, as in ErrorResult.infocode.' })
  infocode!: number;

  @Field(() => Info, { description: 'Its symbolic name, as in ErrorResult.info.' })
  info!: InfoName;

  @Field(() => String, { description: 'What the code means, in the language of Accept-Language.' })
  description!: string;

  @Field(() => String, { nullable: true, description: 'What a client can do about it.' })
  remedy!: string | null;
}

const TABLE_BY_LANGUAGE: Record<Lang, InfoCodeEntry[]> = { en: rows('en'), zh: rows('zh') };

function rows(lang: Lang): InfoCodeEntry[] {
  return Object.entries(STATUS_TABLE).map(([info, row]) => ({
    infocode: row.infocode,
    info: info as InfoName,
    description: row[lang],
    remedy: row.remedy?.[lang] ?? null,
  }));
}

@Resolver()
export class InfoCodesResolver {
  @Query(() => [InfoCodeEntry], {
    description: 'The whole status table: every infocode this API can answer with.',
  })
  infoCodes(@Ctx() ctx: Context): InfoCodeEntry[] {
    return TABLE_BY_LANGUAGE[ctx.lang];
  }
}

@Resolver(() => ErrorResult)
export class ErrorResultResolver {
  @FieldResolver(() => String)
  message(@Root() result: ErrorResult, @Ctx() ctx: Context): string {
    return translate(ctx.lang, result.messageKey, result.messageParams);
  }
}

@Resolver(() => FieldViolation)
export class FieldViolationResolver {
  @FieldResolver(() => String)
  message(@Root() violation: FieldViolation, @Ctx() ctx: Context): string {
    return translate(ctx.lang, violation.messageKey, violation.messageParams);
  }
}
