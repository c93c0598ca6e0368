/**
 * The status table: the one source of every infocode, its symbolic name and its text.
 * The GraphQL `Info` enum, `infoCodes`, the error result types and the envelope all derive from it.
 */
export const STATUS_TABLE = {
  OK: {
    infocode: 1000,
    en: 'Request succeeded.',
    zh: '请求正常',
    remedy: null,
  },
  MISSING_REQUIRED_PARAMS: {
    infocode: 1001,
    en: 'A required parameter is missing or blank.',
    zh: '缺少必填参数',
    remedy: { en: 'See the parameter docs.', zh: '请查看参数说明' },
  },
  USERNAME_NON_COMPLIANT: {
    infocode: 1002,
    en: 'The username does not meet the rules.',
    zh: '用户名称不符合规范',
    remedy: { en: 'See the parameter docs.', zh: '请查看参数说明' },
  },
  PASSWORD_NOT_SPECIFICATION: {
    infocode: 1003,
    en: 'The password does not meet the rules.',
    zh: '密码不符合规范',
    remedy: { en: 'See the parameter docs.', zh: '请查看参数说明' },
  },
  EMAIL_NOT_SPECIFICATION: {
    infocode: 1004,
    en: 'The email is not a valid address.',
    zh: '邮箱格式不符合规范',
    remedy: { en: 'See the parameter docs.', zh: '请查看参数说明' },
  },
  AVATAR_FONT_LENGTH: {
    infocode: 1005,
    en: 'The avatar URL is invalid or longer than 255 characters.',
    zh: '头像存储的 url 链接超出规范',
    remedy: {
      en: 'Use an http or https URL of at most 255 characters.',
      zh: '请使用不超过 255 个字符的 http 或 https 链接',
    },
  },
  INTRODUCTION_NOT_SPECIFICATION: {
    infocode: 1006,
    en: 'The introduction is longer than 200 characters.',
    zh: '用户简介内容超出规范',
    remedy: { en: 'At most 200 characters.', zh: '最多 200 个字符' },
  },
  ACCOUNT_GENERATION_ERROR: {
    infocode: 1007,
    en: 'The account could not be created.',
    zh: '帐户生成错误',
    remedy: { en: 'Retry later.', zh: '请稍后重试' },
  },
  WRONG_PASSWORD: {
    infocode: 1008,
    en: 'The password is wrong.',
    zh: '密码错误',
    remedy: { en: 'Check the password.', zh: '请检查密码' },
  },
  TOKEN_EXPIRED_ERROR: {
    infocode: 1009,
    en: 'The token has expired.',
    zh: 'Token 过期错误',
    remedy: { en: 'Refresh the token or log in again.', zh: '请刷新 Token 或重新登录' },
  },
  INVALID_TOKEN_ERROR: {
    infocode: 1010,
    en: 'The token is missing, malformed, forged or revoked.',
    zh: 'Token 无效',
    remedy: { en: 'Log in again.', zh: '请重新登录' },
  },
  INSUFFICIENT_PERMISSIONS: {
    infocode: 1011,
    en: 'You may not do this.',
    zh: '用户权限不足',
    remedy: null,
  },
  MAILBOX_OCCUPIED: {
    infocode: 1012,
    en: 'The email belongs to another user.',
    zh: '邮箱已占用',
    remedy: { en: 'Use another email.', zh: '请使用其他邮箱' },
  },
  ACCOUNT_NOT_SPECIFICATION: {
    infocode: 1014,
    en: 'The account number is malformed.',
    zh: '账号不符合账号规范',
    remedy: { en: 'See the parameter docs.', zh: '请查看参数说明' },
  },
  USER_NOT_EXIST: {
    infocode: 1016,
    en: 'No such user.',
    zh: '用户不存在',
    remedy: null,
  },
  TOO_MANY_REQUESTS: {
    infocode: 1020,
    en: 'Too many requests.',
    zh: '请求过于频繁',
    remedy: { en: 'Try again after retryAfter seconds.', zh: '请在 retryAfter 秒后重试' },
  },
  INVALID_REQUEST: {
    infocode: 1021,
    en: 'The request is not a valid GraphQL request.',
    zh: '请求不是有效的 GraphQL 请求',
    remedy: {
      en: 'Check the query syntax, fields, variable types and content type.',
      zh: '请检查查询语法、字段、变量类型和内容类型',
    },
  },
  QUERY_TOO_COMPLEX: {
    infocode: 1022,
    en: 'The operation exceeds a limit.',
    zh: '操作超出限制',
    remedy: { en: 'Split the operation or make it smaller.', zh: '请拆分或精简该操作' },
  },
  INTERNAL_ERROR: {
    infocode: 1023,
    en: 'An unexpected error occurred.',
    zh: '服务器内部错误',
    remedy: {
      en: 'Retry later; report the requestId if it persists.',
      zh: '请稍后重试；如持续出现，请提供 requestId',
    },
  },
  EMAIL_NOT_VERIFIED: {
    infocode: 1024,
    en: 'The email has not been verified.',
    zh: '邮箱尚未验证',
    remedy: { en: 'Follow the link in the verification mail.', zh: '请点击验证邮件中的链接' },
  },
} as const;

export type InfoName = keyof typeof STATUS_TABLE;

/** The symbolic names as an enum-like object (`Info.OK === 'OK'`), for type-graphql's registerEnumType. */
export const Info = Object.fromEntries(Object.keys(STATUS_TABLE).map((name) => [name, name])) as {
  [K in InfoName]: K;
};

export type Lang = 'en' | 'zh';

export function infocodeOf(info: InfoName): number {
  return STATUS_TABLE[info].infocode;
}

export function describe(info: InfoName, lang: Lang): string {
  return STATUS_TABLE[info][lang];
}
