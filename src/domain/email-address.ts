import { AppError } from './app-error.js';

/** Longest address that fits an SMTP path (RFC 5321: 256 octets with its angle brackets). */
export const MAX_EMAIL_LENGTH = 254;
const MAX_LOCAL_PART_LENGTH = 64;

/** Dot-atom local part (RFC 5322 atext, no quoted strings, no comments). */
const LOCAL_PART = /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
/** Host names of two labels or more; the last is letters (or an IDN in its xn-- form). */
const DOMAIN = /^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+([a-z]{2,63}|xn--[a-z0-9-]{1,59})$/;

/** Why an address was refused, as `params.reason` of INVALID_EMAIL. */
export type EmailProblem = 'empty' | 'several' | 'display-name' | 'too-long' | 'syntax';

function refuse(input: string, reason: EmailProblem): AppError {
  const shown = input.trim();
  return new AppError('INVALID_EMAIL', `"${shown}" is not an e-mail address (${reason})`, {
    field: 'email',
    reason,
    // Echoed in the message; a pasted page of text is cut.
    value: shown.length > 80 ? `${shown.slice(0, 79)}…` : shown,
  });
}

/**
 * The one rule for an account's e-mail address, in the portal, the API and the CLI: exactly one
 * address, trimmed and lower-cased, `local@domain.tld` with no spaces, no display name
 * (`Nom <a@b.fr>`), no list (`a@b.fr, c@d.fr`), at most MAX_EMAIL_LENGTH characters.
 * Returns the address as stored; refuses with INVALID_EMAIL (`params.reason`: EmailProblem).
 */
export function normalizeEmailAddress(input: string): string {
  const email = input.trim().toLowerCase();
  if (email === '') throw refuse(input, 'empty');
  if (/[,;]/.test(email) || email.split('@').length > 2) throw refuse(input, 'several');
  if (/[<>"]/.test(email)) throw refuse(input, 'display-name');
  if (email.length > MAX_EMAIL_LENGTH) throw refuse(input, 'too-long');
  const at = email.indexOf('@');
  const local = email.slice(0, at);
  const domain = email.slice(at + 1);
  if (at <= 0 || local.length > MAX_LOCAL_PART_LENGTH || !LOCAL_PART.test(local) || !DOMAIN.test(domain)) {
    throw refuse(input, 'syntax');
  }
  return email;
}
