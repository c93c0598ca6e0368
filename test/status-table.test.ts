import { readFileSync } from 'node:fs';
import { buildASTSchema, parse, printSchema, visit } from 'graphql';
import { join } from 'node:path';
import { printSchemaFile } from '../src/schema-file';
import { InfoCodesDocument } from './generated/graphql';
import { startServer, type TestServer } from './support/server';

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.close());

// The contract's table (CONTRACT.md sections 1 and 8), written out here so a drift in code shows.
const CONTRACT_TABLE: [number, string, string][] = [
  [1000, 'OK', '请求正常'],
  [1001, 'MISSING_REQUIRED_PARAMS', '缺少必填参数'],
  [1002, 'USERNAME_NON_COMPLIANT', '用户名称不符合规范'],
  [1003, 'PASSWORD_NOT_SPECIFICATION', '密码不符合规范'],
  [1004, 'EMAIL_NOT_SPECIFICATION', '邮箱格式不符合规范'],
  [1005, 'AVATAR_FONT_LENGTH', '头像存储的 url 链接超出规范'],
  [1006, 'INTRODUCTION_NOT_SPECIFICATION', '用户简介内容超出规范'],
  [1007, 'ACCOUNT_GENERATION_ERROR', '帐户生成错误'],
  [1008, 'WRONG_PASSWORD', '密码错误'],
  [1009, 'TOKEN_EXPIRED_ERROR', 'Token 过期错误'],
  [1010, 'INVALID_TOKEN_ERROR', 'Token 无效'],
  [1011, 'INSUFFICIENT_PERMISSIONS', '用户权限不足'],
  [1012, 'MAILBOX_OCCUPIED', '邮箱已占用'],
  [1014, 'ACCOUNT_NOT_SPECIFICATION', '账号不符合账号规范'],
  [1016, 'USER_NOT_EXIST', '用户不存在'],
  [1020, 'TOO_MANY_REQUESTS', '请求过于频繁'],
  [1021, 'INVALID_REQUEST', '请求不是有效的 GraphQL 请求'],
  [1022, 'QUERY_TOO_COMPLEX', '操作超出限制'],
  [1023, 'INTERNAL_ERROR', '服务器内部错误'],
  [1024, 'EMAIL_NOT_VERIFIED', '邮箱尚未验证'],
];

describe('infoCodes', () => {
  it('serves the whole status table, in order, and nothing else', async () => {
    const { body } = await server.request(InfoCodesDocument, {});
    const rows = body.data!.infoCodes;
    expect(rows.map((row) => [row.infocode, row.info])).toEqual(
      CONTRACT_TABLE.map(([code, info]) => [code, info]),
    );
    for (const row of rows) expect(row.description).toMatch(/^[\x20-\x7e]+$/);
    expect(rows.find((row) => row.info === 'OK')!.remedy).toBeNull();
    expect(rows.find((row) => row.info === 'WRONG_PASSWORD')!.remedy).toBe('Check the password.');
    expect(body.extensions).toEqual({ infocode: 1000, info: 'OK' });
  });

  it('gives the contract’s Chinese descriptions to Accept-Language: zh', async () => {
    const { body } = await server.request(InfoCodesDocument, {}, { 'accept-language': 'zh-CN' });
    expect(body.data!.infoCodes.map((row) => [row.infocode, row.description])).toEqual(
      CONTRACT_TABLE.map(([code, , zh]) => [code, zh]),
    );
  });

  it('leaves the blank codes of the table unused', async () => {
    const { body } = await server.request(InfoCodesDocument, {});
    const codes = body.data!.infoCodes.map((row) => row.infocode);
    for (const unused of [1013, 1015, 1017, 1018, 1019]) expect(codes).not.toContain(unused);
  });
});

describe('schema.graphql', () => {
  it('is the schema the server serves (run `npm run schema` after changing it)', async () => {
    const committed = readFileSync(join(__dirname, '..', 'schema.graphql'), 'utf8');
    expect(committed).toBe(await printSchemaFile());
  });

  it('names every type the contract fixes', () => {
    // Read without its descriptions, which put each described argument on a line of its own.
    const described = parse(readFileSync(join(__dirname, '..', 'schema.graphql'), 'utf8'));
    const text = printSchema(
      buildASTSchema(
        visit(described, {
          enter: (node) => ('description' in node ? { ...node, description: undefined } : node),
        }),
      ),
    );
    for (const fixed of [
      'union RegisterResult = AccountGenerationError | AuthPayload | InvalidInput | MailboxOccupied | TooManyRequests',
      'union LoginResult = AuthPayload | EmailNotVerified | InvalidInput | TooManyRequests | UserNotExist | WrongPassword',
      'type EmailNotVerified implements ErrorResult',
      'requestPasswordReset(email: String!): RequestAccepted!',
      'resetPassword(newPassword: String!, token: String!): ResetPasswordResult!',
      'requestEmailVerification: RequestEmailVerificationResult!',
      'verifyEmail(token: String!): VerifyEmailResult!',
      'union ResetPasswordResult = AuthPayload | InvalidInput | InvalidToken | TokenExpired | TooManyRequests',
      'union RequestEmailVerificationResult = InvalidToken | RequestAccepted | TokenExpired | TooManyRequests',
      'union VerifyEmailResult = InvalidToken | TokenExpired | User',
      'emailVerified: Boolean!',
      'union UpdateProfileResult = InsufficientPermissions | InvalidInput | InvalidToken | MailboxOccupied | TokenExpired | TooManyRequests | User | UserNotExist | WrongPassword',
      'type TooManyRequests implements ErrorResult',
      'union MeResult = InvalidToken | TokenExpired | User | UserNotExist',
      'union UserResult = InvalidInput | User | UserNotExist',
      'register(input: RegisterInput!): RegisterResult!',
      'login(input: LoginInput!): LoginResult!',
      'updateProfile(input: UpdateProfileInput!, userId: ID): UpdateProfileResult!',
      'user(account: String, id: ID): UserResult!',
      'infoCodes: [InfoCodeEntry!]!',
      'me: MeResult!',
      'type InvalidInput implements ErrorResult',
    ]) {
      expect(text).toContain(fixed);
    }
  });
});
