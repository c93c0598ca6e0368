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

  @Field(() => String, { nullable: true })
  email?: string | null;

  @Field(() => String)
  password!: string;
}

@InputType({
  description:
    'At least one of username, email, avatar, introduction. null clears avatar or introduction. ' +
    'Changing your own email needs currentPassword.',
})
export class UpdateProfileInput {
  @Field(() => String, { nullable: true })
  username?: string | null;

  @Field(() => String, { nullable: true })
  email?: string | null;

  @Field(() => String, { nullable: true })
  avatar?: string | null;

  @Field(() => String, { nullable: true })
  introduction?: string | null;

  @Field(() => String, { nullable: true })
  currentPassword?: string | null;
}
