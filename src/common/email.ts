/** Emails are trimmed and compared case-insensitively (API.md): stored in this form. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}
