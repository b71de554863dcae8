import { DateTime } from 'luxon';
import { AppError } from './app-error.js';
import { PARIS_ZONE } from './paris-calendar.js';

/** The archive holds nothing before this day (the service's opening, as on the distributor's portal). */
export const ARCHIVE_FIRST_DAY = '2018-08-09';
/** Files are kept, and searchable, for four years. */
export const RETENTION_YEARS = 4;

/** First Paris day still inside the 4-year access window on `now`. */
export function oldestAccessibleDay(now: Date): string {
  const day = DateTime.fromJSDate(now, { zone: PARIS_ZONE })
    .startOf('day')
    .minus({ years: RETENTION_YEARS })
    .toISODate()!;
  return day < ARCHIVE_FIRST_DAY ? ARCHIVE_FIRST_DAY : day;
}

/** Instant before which archived publications are purged. */
export function retentionCutoff(now: Date): Date {
  return DateTime.fromJSDate(now, { zone: PARIS_ZONE }).minus({ years: RETENTION_YEARS }).toJSDate();
}

function frenchDay(day: string): string {
  const [y, m, d] = day.split('-');
  return `${d}/${m}/${y}`;
}

/**
 * Checks the publication-date range of a flux search (Paris days, both inclusive): not before
 * 2018-08-09, not older than the 4-year access window, start not after end. The French message says
 * which limit was hit.
 */
export function checkSearchRange(from: string | undefined, to: string | undefined, now: Date): void {
  const oldest = oldestAccessibleDay(now);
  for (const [field, day] of [
    ['dateDebut', from],
    ['dateFin', to],
  ] as const) {
    if (day === undefined) continue;
    if (day < ARCHIVE_FIRST_DAY) {
      throw new AppError('SEARCH_DATE_BEFORE_ARCHIVE', `${field} ${day} is before ${ARCHIVE_FIRST_DAY}`, {
        field,
        day: frenchDay(day),
        first: frenchDay(ARCHIVE_FIRST_DAY),
      });
    }
    if (day < oldest) {
      throw new AppError(
        'SEARCH_DATE_OUTSIDE_RETENTION',
        `${field} ${day} is older than the 4-year access window (from ${oldest})`,
        {
          field,
          day: frenchDay(day),
          oldest: frenchDay(oldest),
        },
      );
    }
  }
  if (from !== undefined && to !== undefined && from > to) {
    throw new AppError('SEARCH_DATE_RANGE_INVALID', `dateDebut ${from} is after dateFin ${to}`, {
      from: frenchDay(from),
      to: frenchDay(to),
    });
  }
}
