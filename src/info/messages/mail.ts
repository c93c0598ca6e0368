import { type Lang } from '../status';

/**
 * Every mail the service sends, in every language it speaks: the one place to reword them.
 * `{name}` placeholders are filled by renderMail; in HTML the values are escaped first.
 */
export type MailKind = 'verifyEmail' | 'resetPassword' | 'emailChanged';

interface MailText {
  subject: string;
  /** Paragraphs before the link (or the whole text when there is no link). */
  intro: string[];
  /** The button / link caption. */
  action: string | null;
  /** Printed before the bare token, for apps that ask the user to paste it. */
  codeLabel: string | null;
  outro: string[];
}

const TEMPLATES: Record<Lang, Record<MailKind, MailText>> = {
  en: {
    verifyEmail: {
      subject: 'Confirm your email address',
      intro: [
        'Hello {username},',
        'Please confirm that {email} is your email address by opening this link within {validFor}:',
      ],
      action: 'Confirm my email address',
      codeLabel: 'Or enter this code in the app:',
      outro: ['If you did not create an account or change your email, you can ignore this mail.'],
    },
    resetPassword: {
      subject: 'Reset your password',
      intro: [
        'Hello {username},',
        'Someone asked to reset the password of the account with this email address. To choose a new password, open this link within {validFor}:',
      ],
      action: 'Choose a new password',
      codeLabel: 'Or enter this code in the app:',
      outro: [
        'The link works once. Choosing a new password signs you out everywhere.',
        'If you did not ask for this, ignore this mail: your password stays as it is.',
      ],
    },
    emailChanged: {
      subject: 'Your email address was changed',
      intro: [
        'Hello {username},',
        'The email address of your account was changed from {oldEmail} to {newEmail} at {time}. Mail about the account goes to the new address from now on.',
      ],
      action: null,
      codeLabel: null,
      outro: [
        'If you did not make this change, reset your password at once and contact the administrator.',
      ],
    },
  },
  zh: {
    verifyEmail: {
      subject: '请验证您的邮箱地址',
      intro: [
        '{username}，您好：',
        '请在 {validFor} 内打开以下链接，确认 {email} 是您的邮箱地址：',
      ],
      action: '验证我的邮箱',
      codeLabel: '或在应用中输入以下验证码：',
      outro: ['如果您没有注册帐户或修改邮箱，请忽略此邮件。'],
    },
    resetPassword: {
      subject: '重置您的密码',
      intro: [
        '{username}，您好：',
        '有人请求重置使用此邮箱地址的帐户的密码。请在 {validFor} 内打开以下链接设置新密码：',
      ],
      action: '设置新密码',
      codeLabel: '或在应用中输入以下验证码：',
      outro: [
        '此链接只能使用一次。设置新密码后，您在所有设备上的登录都会退出。',
        '如果这不是您本人的请求，请忽略此邮件，您的密码不会改变。',
      ],
    },
    emailChanged: {
      subject: '您的邮箱地址已更改',
      intro: [
        '{username}，您好：',
        '您帐户的邮箱地址已于 {time} 从 {oldEmail} 更改为 {newEmail}。此后有关帐户的邮件将发送到新地址。',
      ],
      action: null,
      codeLabel: null,
      outro: ['如果这不是您本人的操作，请立即重置密码并联系管理员。'],
    },
  },
};

/** How long a link stays valid, in words: "30 minutes", "24 hours", "24 小时". */
export function durationText(seconds: number, lang: Lang): string {
  const units: [number, string, string, string][] = [
    [86400, 'day', 'days', '天'],
    [3600, 'hour', 'hours', '小时'],
    [60, 'minute', 'minutes', '分钟'],
    [1, 'second', 'seconds', '秒'],
  ];
  const [size, one, many, zh] = units.find(([unit]) => seconds % unit === 0)!;
  const count = seconds / size;
  return lang === 'zh' ? `${count} ${zh}` : `${count} ${count === 1 ? one : many}`;
}

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (character) => HTML_ESCAPES[character]!);
}

function fill(template: string, params: Record<string, string>, escape: boolean): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const value = params[name];
    if (value === undefined) return whole;
    return escape ? escapeHtml(value) : value;
  });
}

/**
 * Mail lines end in CRLF: with bare LF, quoted-printable folding treats the text as one long line
 * and may break the token in two.
 */
const CRLF = '\r\n';

/**
 * One mail as text and HTML. With a link, the bare token also stands on a line of its own, so an
 * app without a web page for the link can ask for it, and it can be read from an .eml file.
 */
export function renderMail(
  kind: MailKind,
  lang: Lang,
  params: Record<string, string>,
  link: { url: string; token: string } | null,
): RenderedMail {
  const template = TEMPLATES[lang][kind];
  const text: string[] = template.intro.map((line) => fill(line, params, false));
  const html: string[] = template.intro.map((line) => `<p>${fill(line, params, true)}</p>`);
  if (link && template.action) {
    text.push(link.url);
    html.push(
      `<p><a href="${escapeHtml(link.url)}" style="display:inline-block;padding:10px 16px;background:#2b59c3;color:#ffffff;text-decoration:none;border-radius:4px">${escapeHtml(template.action)}</a></p>`,
      `<p style="font-size:12px;color:#555555;word-break:break-all">${escapeHtml(link.url)}</p>`,
    );
    if (template.codeLabel) {
      text.push(`${template.codeLabel}${CRLF}${link.token}`);
      html.push(
        `<p>${escapeHtml(template.codeLabel)}<br><code style="font-size:14px">${escapeHtml(link.token)}</code></p>`,
      );
    }
  }
  text.push(...template.outro.map((line) => fill(line, params, false)));
  html.push(...template.outro.map((line) => `<p>${fill(line, params, true)}</p>`));
  return {
    subject: template.subject,
    text: `${text.join(CRLF + CRLF)}${CRLF}`,
    html: `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><title>${escapeHtml(template.subject)}</title></head><body style="font-family:sans-serif;line-height:1.5">${html.join('')}</body></html>`,
  };
}
