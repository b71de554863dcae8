import { AppError } from './app-error.js';

/** A calendar date `YYYY-MM-DD` (a Paris local day when it dates measurements). */
export type LocalDate = string & { readonly __brand: 'LocalDate' };

export function parseLocalDate(value: string, what = 'date'): LocalDate {
  const trimmed = value.trim();
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(trimmed);
  if (match) {
    const [, y, m, d] = match;
    const date = new Date(Date.UTC(Number(y), Number(m) - 1, Number(d)));
    if (
      date.getUTCFullYear() === Number(y) &&
      date.getUTCMonth() === Number(m) - 1 &&
      date.getUTCDate() === Number(d)
    ) {
      return trimmed as LocalDate;
    }
  }
  throw new AppError('INVALID_DATE', `${what} "${value}" is not a valid date YYYY-MM-DD`, { what, value });
}
