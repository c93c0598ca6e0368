import { dictionary } from '@zxcvbn-ts/language-common';

/**
 * zxcvbn's list of common passwords (about 49,000, from real leaks), as the lower-cased ones long
 * enough to pass the length rule: the only ones the password rules could otherwise accept.
 */
const COMMON: ReadonlySet<string> = new Set(
  dictionary['passwords-common']
    .map((password) => password.toLowerCase())
    .filter((password) => [...password].length >= 8),
);

export function isCommonPassword(folded: string): boolean {
  return COMMON.has(folded);
}
