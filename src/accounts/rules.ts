import { type MessageKey, type MessageParams } from '../info/i18n';
import { FieldViolation } from '../info/results';
import { type InfoName } from '../info/status';
import { isCommonPassword } from './common-passwords';

/**
 * The field rules of the contract (section 3), one function per field. Each returns the stored
 * form of the value or the violation it makes; callers gather violations so InvalidInput can list
 * them all at once.
 */
export type Checked<T> = { ok: true; value: T } | { ok: false; violation: FieldViolation };

const ok = <T>(value: T): Checked<T> => ({ ok: true, value });
const broken = <T>(
  field: string,
  info: InfoName,
  key: MessageKey,
  params?: MessageParams,
): Checked<T> => ({ ok: false, violation: new FieldViolation(field, info, key, params) });

export const required = (field: string): FieldViolation =>
  new FieldViolation(field, 'MISSING_REQUIRED_PARAMS', 'field.required', { field });

const codePoints = (text: string): number => {
  let count = 0;
  for (const _ of text) count++;
  return count;
};

// Letters, combining marks, digits, "_", "-", "." in words joined by single spaces. Control (Cc),
// format (Cf: bidi and zero-width), unassigned and lone-surrogate code points match none of these.
const USERNAME = /^[\p{L}\p{M}\p{N}_.-]+(?: [\p{L}\p{M}\p{N}_.-]+)*$/u;

const WHITE_SPACE_AROUND = /^\p{White_Space}+|\p{White_Space}+$/gu;
// Characters that render as nothing (Hangul fillers, joiners, U+FEFF...): a name must be visible.
const INVISIBLE = /\p{Default_Ignorable_Code_Point}/u;

// Homoglyph tricks: "Аdmin" with a Cyrillic А. Latin, Greek and Cyrillic share look-alike letters,
// so one word may use only one of them (words in different scripts, "Иван Smith", are fine).
const LOOK_ALIKE_SCRIPTS = [/\p{Script=Latin}/u, /\p{Script=Cyrillic}/u, /\p{Script=Greek}/u];
const mixesLookAlikeScripts = (word: string): boolean =>
  LOOK_ALIKE_SCRIPTS.filter((script) => script.test(word)).length > 1;
// More than three combining marks on one letter is "Zalgo" text, not a writing system.
const STACKED_MARKS = /\p{M}{4,}/u;

export function username(raw: string | null | undefined, field = 'username'): Checked<string> {
  // Only real whitespace is trimmed: String.trim would also drop U+FEFF, hiding it from the rules.
  const value = (raw ?? '').normalize('NFKC').replace(WHITE_SPACE_AROUND, '');
  if (value === '') return { ok: false, violation: required(field) };
  if (INVISIBLE.test(value)) return broken(field, 'USERNAME_NON_COMPLIANT', 'username.characters');
  const length = codePoints(value);
  if (length < 2 || length > 32) return broken(field, 'USERNAME_NON_COMPLIANT', 'username.length');
  if (!USERNAME.test(value)) return broken(field, 'USERNAME_NON_COMPLIANT', 'username.characters');
  if (STACKED_MARKS.test(value) || value.split(' ').some(mixesLookAlikeScripts)) {
    return broken(field, 'USERNAME_NON_COMPLIANT', 'username.confusable');
  }
  return ok(value);
}

/**
 * The form prefix search compares: NFKC, then lower case in every script, with Greek's final
 * sigma as σ. Lower-casing makes a word-final Σ ς, so "ΟΔΥΣ" would otherwise not be the start of
 * "Οδυσσέας" (οδυς, οδυσσέας), nor "σσ" of "ΣΣ" (σς). Stored and searched text both come here.
 */
export function searchForm(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/ς/g, 'σ');
}

// WHATWG HTML, "valid e-mail address" (the rule of <input type=email>).
const EMAIL =
  /^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;
const ASCII_WHITESPACE_AROUND = /^[\t\n\f\r ]+|[\t\n\f\r ]+$/g;

export interface Email {
  /** As given, less surrounding whitespace: what the user sees. */
  address: string;
  /** Lower-cased: what uniqueness and login compare. */
  normalized: string;
}

export function normalizeEmail(address: string): string {
  return address.toLowerCase();
}

export function email(raw: string | null | undefined, field = 'email'): Checked<Email> {
  const address = (raw ?? '').replace(ASCII_WHITESPACE_AROUND, '');
  if (address === '') return { ok: false, violation: required(field) };
  if (address.length > 254) return broken(field, 'EMAIL_NOT_SPECIFICATION', 'email.length');
  if (!EMAIL.test(address)) return broken(field, 'EMAIL_NOT_SPECIFICATION', 'email.format');
  return ok({ address, normalized: normalizeEmail(address) });
}

// Lone surrogates cannot be encoded, and NUL ends strings in too many places to be trusted.
const UNSTORABLE_IN_PASSWORD = /[\p{Cs}\0]/u;
// Unicode White_Space, which (unlike \s) includes U+0085 NEL.
const ONLY_WHITESPACE = /^\p{White_Space}+$/u;

/** A new password. `others` are the email and username it may not equal (any case). */
export function newPassword(
  raw: string | null | undefined,
  others: { email?: string | null; username?: string | null },
  field = 'password',
): Checked<string> {
  const value = raw ?? '';
  if (value === '') return { ok: false, violation: required(field) };
  const length = codePoints(value);
  if (length < 8 || length > 128)
    return broken(field, 'PASSWORD_NOT_SPECIFICATION', 'password.length');
  if (ONLY_WHITESPACE.test(value))
    return broken(field, 'PASSWORD_NOT_SPECIFICATION', 'password.blank');
  if (UNSTORABLE_IN_PASSWORD.test(value)) {
    return broken(field, 'PASSWORD_NOT_SPECIFICATION', 'password.characters');
  }
  const folded = value.normalize('NFKC').trim().toLowerCase();
  if (others.email && folded === others.email.trim().toLowerCase()) {
    return broken(field, 'PASSWORD_NOT_SPECIFICATION', 'password.sameAsEmail');
  }
  if (others.username && folded === others.username.normalize('NFKC').trim().toLowerCase()) {
    return broken(field, 'PASSWORD_NOT_SPECIFICATION', 'password.sameAsUsername');
  }
  if (isCommonPassword(folded))
    return broken(field, 'PASSWORD_NOT_SPECIFICATION', 'password.common');
  return ok(value);
}

/** A password given to be checked against the stored hash: only presence is a rule. */
export function givenPassword(raw: string | null | undefined, field = 'password'): Checked<string> {
  return raw ? ok(raw) : { ok: false, violation: required(field) };
}

const CONTROL_OR_SPACE = /[\s\p{C}]/u;
// Parsed alone, `https:host/a.png`, `http:/host/a` and `https:\\host\a` are absolute URLs of
// `host`; but a browser resolves the first two against its page (same scheme: a relative path) and
// RFC 3986 clients read backslashes as path characters. Only `http(s)://` means one thing to all.
const ABSOLUTE_HTTP = /^https?:\/\//i;

/** Optional; blank means "no avatar" (null). */
export function avatar(raw: string | null | undefined, field = 'avatar'): Checked<string | null> {
  const value = (raw ?? '').trim();
  if (value === '') return ok(null);
  if (codePoints(value) > 255) return broken(field, 'AVATAR_FONT_LENGTH', 'avatar.length');
  if (
    CONTROL_OR_SPACE.test(value) ||
    !ABSOLUTE_HTTP.test(value) ||
    value.includes('\\') ||
    !URL.canParse(value)
  ) {
    return broken(field, 'AVATAR_FONT_LENGTH', 'avatar.url');
  }
  const url = new URL(value);
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') {
    return broken(field, 'AVATAR_FONT_LENGTH', 'avatar.url');
  }
  return ok(value);
}

const INTRODUCTION_MAX = 200;
const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' });
// Line breaks and tabs are welcome in an introduction; other controls and lone surrogates are not.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNWANTED_IN_TEXT = /[\p{Cs}\0-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]/u;

/** Optional; blank means "no introduction" (null). Counted as a reader counts: grapheme clusters. */
export function introduction(
  raw: string | null | undefined,
  field = 'introduction',
): Checked<string | null> {
  const value = raw ?? '';
  if (value.trim() === '') return ok(null);
  if (UNWANTED_IN_TEXT.test(value)) {
    return broken(field, 'INTRODUCTION_NOT_SPECIFICATION', 'introduction.characters');
  }
  // A grapheme cluster is at least one UTF-16 unit, so 200 units or fewer cannot be too long; only
  // longer text is segmented (Intl.Segmenter costs more than the rest of an update together).
  if (value.length <= INTRODUCTION_MAX) return ok(value);
  let count = 0;
  for (const _ of graphemes.segment(value)) {
    if (++count > INTRODUCTION_MAX)
      return broken(field, 'INTRODUCTION_NOT_SPECIFICATION', 'introduction.length');
  }
  return ok(value);
}

const ACCOUNT = /^[1-9][0-9]{9}$/;

/**
 * Exactly the 10 ASCII digits, nothing trimmed: String.trim would also drop NBSP, U+3000 and
 * U+FEFF, letting a string that is not an account number name one. Only "" counts as missing.
 */
export function account(raw: string, field = 'account'): Checked<string> {
  if (raw === '') return { ok: false, violation: required(field) };
  return ACCOUNT.test(raw) ? ok(raw) : broken(field, 'ACCOUNT_NOT_SPECIFICATION', 'account.format');
}

/** Collects violations in the order fields are checked (input-field order). */
export class Violations {
  readonly list: FieldViolation[] = [];

  take<T>(checked: Checked<T>): T | undefined {
    if (checked.ok) return checked.value;
    this.list.push(checked.violation);
    return undefined;
  }

  add(violation: FieldViolation): void {
    this.list.push(violation);
  }

  first(): [FieldViolation, ...FieldViolation[]] | null {
    const [head, ...rest] = this.list;
    return head ? [head, ...rest] : null;
  }
}
