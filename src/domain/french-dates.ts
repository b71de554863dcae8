import { DateTime } from 'luxon';
import { PARIS_ZONE } from './paris-calendar.js';

/** `05/03/2026 à 10h00`, Paris time, from an instant. */
export function parisDateTimeOf(instant: Date | string): string {
  const date =
    typeof instant === 'string'
      ? DateTime.fromISO(instant, { zone: PARIS_ZONE })
      : DateTime.fromJSDate(instant, { zone: PARIS_ZONE });
  return date.isValid ? date.toFormat("dd/MM/yyyy 'à' HH'h'mm") : String(instant);
}

/** `05/03/2026` from a local day `2026-03-05`. */
export function frenchDay(day: string): string {
  const [y, m, d] = day.split('-');
  return `${d}/${m}/${y}`;
}
