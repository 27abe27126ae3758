import { Transform } from 'class-transformer';
import { ValidateBy } from 'class-validator';

/**
 * The one stored and compared form of an email (API.md: trimmed, case-insensitive), issue 8 #9:
 * NFKC first, so that fullwidth letters (ａ), ligatures and the Kelvin sign (K, U+212A) become
 * the ASCII letters they stand for, then trim and lower-case (NFKC again, since lower-casing can
 * un-normalise).
 */
export function normalizeEmail(email: string): string {
  return email.normalize('NFKC').trim().toLowerCase().normalize('NFKC');
}

/** Controls, format characters (zero-width space/joiner, bidi overrides, soft hyphen), unassigned and private-use code points, any space. */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Cn}\p{Co}\p{Z}]|\p{Default_Ignorable_Code_Point}/u;

const SCRIPTS = [
  'Latin', 'Greek', 'Cyrillic', 'Armenian', 'Georgian', 'Hebrew', 'Arabic', 'Syriac', 'Thaana', 'Devanagari',
  'Bengali', 'Gurmukhi', 'Gujarati', 'Oriya', 'Tamil', 'Telugu', 'Kannada', 'Malayalam', 'Sinhala', 'Thai',
  'Lao', 'Tibetan', 'Myanmar', 'Khmer', 'Mongolian', 'Ethiopic', 'Cherokee', 'Hangul', 'Hiragana', 'Katakana',
  'Han', 'Bopomofo',
].map((script) => ({ script, pattern: new RegExp(`^\\p{Script=${script}}$`, 'u') }));
/** Scripts that one writing system legitimately mixes (Japanese, Korean, Chinese): one group. */
const CJK = new Set(['Hangul', 'Hiragana', 'Katakana', 'Han', 'Bopomofo']);
const LETTER = /^\p{L}$/u;

function scriptGroup(letter: string): string {
  const found = SCRIPTS.find(({ pattern }) => pattern.test(letter))?.script ?? 'other';
  return CJK.has(found) ? 'CJK' : found;
}

/** The scripts a label's letters belong to (digits, punctuation and combining marks belong to none). */
function scriptsOf(label: string): Set<string> {
  const scripts = new Set<string>();
  for (const character of label) if (LETTER.test(character)) scripts.add(scriptGroup(character));
  return scripts;
}

/**
 * Why a (normalised) email may not be registered, or undefined. The rule (README, SECURITY.md):
 * no invisible or control characters; the local part, and each dot-separated label of the
 * domain, writes its letters in one script (CJK scripts count as one). So `аdmin@` with a
 * Cyrillic а, or `exаmple.com`, is refused, while `иван@пример.рф` and `ivan@пример.com` are not.
 * Whole-script look-alikes (a local part entirely in Cyrillic letters that resemble Latin ones)
 * are distinct addresses and stay allowed.
 */
export function emailProblem(email: string): string | undefined {
  if (INVISIBLE.test(email)) return 'email must not contain invisible or control characters';
  const at = email.lastIndexOf('@');
  const labels = [email.slice(0, at), ...email.slice(at + 1).split('.')];
  for (const label of labels) {
    if (scriptsOf(label).size > 1) return 'email must not mix scripts (e.g. Latin with Cyrillic or Greek) within its local part or a domain label';
  }
  return undefined;
}

/** class-transformer: normalise a string email field before validation sees it. */
export const NormalizedEmail = () =>
  Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? normalizeEmail(value) : value));

/** class-validator: the rules of emailProblem, for every field that creates or changes an account's email. */
export const IsRegistrableEmail = () =>
  ValidateBy({
    name: 'isRegistrableEmail',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && emailProblem(value) === undefined,
      defaultMessage: (args) => (typeof args?.value === 'string' && emailProblem(args.value)) || 'email must be a valid email address',
    },
  });
