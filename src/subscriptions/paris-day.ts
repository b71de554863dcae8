import { DateTime } from 'luxon';

/** The Europe/Paris calendar day (`YYYY-MM-DD`) of an instant. */
export function parisDayOf(instant: Date): string {
  return DateTime.fromJSDate(instant, { zone: 'Europe/Paris' }).toISODate()!;
}
