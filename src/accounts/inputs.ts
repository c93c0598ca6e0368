import { Field, InputType } from 'type-graphql';

@InputType({ description: 'A new account. The server chooses the account number.' })
export class RegisterInput {
  @Field(() => String, { description: '2-32 characters after NFKC normalization and trimming.' })
  username!: string;

  @Field(() => String, { description: '8-128 characters; not the email or username.' })
  password!: string;

  @Field(() => String, { description: 'A valid address, unique in any case.' })
  email!: string;

  @Field(() => String, {
    nullable: true,
    description: 'Absolute http(s) URL, at most 255 characters.',
  })
  avatar?: string | null;

  @Field(() => String, { nullable: true, description: 'At most 200 characters.' })
  introduction?: string | null;
}

@InputType({ description: 'Give account or email; account wins if both are given.' })
export class LoginInput {
  @Field(() => String, { nullable: true, description: 'The 10-digit account number.' })
  account?: string | null;

  @Field(() => String, {
    nullable: true,
    description:
      'The address, in any case; used when account is not given (an empty account beside it ' +
      'counts as not given).',
  })
  email?: string | null;

  @Field(() => String, { description: 'Checked against the stored hash: wrong 1008, empty 1001.' })
  password!: string;
}

@InputType({
  description:
    'At least one of username, email, avatar, introduction. null clears avatar or introduction. ' +
    'Changing your own email needs currentPassword.',
})
export class UpdateProfileInput {
  @Field(() => String, {
    nullable: true,
    description: '2-32 characters after NFKC normalization and trimming; null is 1001.',
  })
  username?: string | null;

  @Field(() => String, {
    nullable: true,
    description:
      'A valid address, unique in any case (taken: 1012); null is 1001. A new address is ' +
      'unverified until the link mailed to it is followed.',
  })
  email?: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'Absolute http(s) URL, at most 255 characters; null or blank removes it.',
  })
  avatar?: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'At most 200 characters (grapheme clusters); null or blank removes it.',
  })
  introduction?: string | null;

  @Field(() => String, {
    nullable: true,
    description:
      'Needed to change your own email to another address (missing: 1001, wrong: 1008); ' +
      'an admin editing another user need not give it.',
  })
  currentPassword?: string | null;
}
