import { dictionary } from '@zxcvbn-ts/language-common';
import { ValidateBy } from 'class-validator';

/**
 * The 10,000 most common passwords, most common first: the head of the ranked list that
 * @zxcvbn-ts/language-common ships (`passwords-common`, built from public password-leak
 * frequency lists). Entries are lower-case; a password is compared lower-cased, so `Password1`
 * counts as `password1` (NIST SP 800-63B 3.1.1.2: refuse values known to be commonly used).
 */
const COMMON_PASSWORD_COUNT = 10_000;
const COMMON_PASSWORDS = new Set(dictionary['passwords-common'].slice(0, COMMON_PASSWORD_COUNT));

export function isCommonPassword(password: string): boolean {
  return COMMON_PASSWORDS.has(password.toLowerCase());
}

export const COMMON_PASSWORD_MESSAGE = 'is one of the 10,000 most common passwords; choose a less guessable one';

/**
 * class-validator: refuses the common passwords. The one rule for every field that sets a
 * password (register, change, reset); pair it with the 8-256 length rule of API.md.
 */
export const IsNotCommonPassword = () =>
  ValidateBy({
    name: 'isNotCommonPassword',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && !isCommonPassword(value),
      defaultMessage: (args) => `${args?.property ?? 'password'} ${COMMON_PASSWORD_MESSAGE}`,
    },
  });
