import { type Lang } from './status';
import { en, type MessageKey } from './messages/en';
import { zh } from './messages/zh';

export type { MessageKey };
export type MessageParams = Record<string, string | number>;

const CATALOGS: Record<Lang, Record<MessageKey, string>> = { en, zh };

export function translate(lang: Lang, key: MessageKey, params?: MessageParams): string {
  const template = CATALOGS[lang][key];
  if (!params) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in params ? String(params[name]) : whole,
  );
}

/**
 * Chinese when the client's most preferred language we serve is zh (zh, zh-CN, zh-Hant-TW...),
 * English otherwise. q-values are honoured: "en;q=0.9, zh;q=0.8" stays English.
 */
export function languageOf(acceptLanguage: string | undefined | null): Lang {
  if (!acceptLanguage) return 'en';
  let best: { lang: Lang; q: number } | null = null;
  for (const part of acceptLanguage.split(',')) {
    const [tag = '', ...attributes] = part.trim().toLowerCase().split(';');
    const primary = tag.trim().split('-')[0];
    const lang: Lang | null =
      primary === 'zh' ? 'zh' : primary === 'en' || primary === '*' ? 'en' : null;
    if (!lang) continue;
    const qAttribute = attributes.map((a) => a.trim()).find((a) => a.startsWith('q='));
    const q = qAttribute ? Number(qAttribute.slice(2)) : 1;
    if (!Number.isFinite(q) || q <= 0) continue;
    if (!best || q > best.q) best = { lang, q };
  }
  return best?.lang ?? 'en';
}
