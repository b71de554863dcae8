import { DateTime } from 'luxon';
import type { Category, CurveStep } from './identifiers.js';
import { stepMinutes } from './identifiers.js';

/**
 * The Europe/Paris calendar of measurements. Local days, weeks (Monday to Monday) and months are
 * half-open ranges of UTC instants `[start, end)`; a local day lasts 23, 24 or 25 hours.
 *
 * Points of a curve: a day at step S has (day length / S) intervals, the first starting at local
 * midnight. Their local timestamp `AAAA-MM-JJ hh:mm:ss` marks the START of the interval for
 * category A and its END for category B (docs/product-rules.md "Timestamps"). On the autumn day the repeated
 * hour produces the same local timestamps twice: points are always kept in chronological order,
 * so the first occurrence is the summer-time (UTC+2) interval and the second the winter-time one.
 */
export const PARIS_ZONE = 'Europe/Paris';

const MINUTE_MS = 60_000;
const DAY_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

function localMidnight(day: string): DateTime {
  if (!DAY_PATTERN.test(day)) throw new RangeError(`not a local day: ${day}`);
  const dt = DateTime.fromISO(day, { zone: PARIS_ZONE });
  if (!dt.isValid) throw new RangeError(`not a local day: ${day}`);
  return dt;
}

/** UTC instant of local midnight starting `day`. */
export function dayStart(day: string): Date {
  return localMidnight(day).toJSDate();
}

/** `[start, end)` of a local day. */
export function dayBounds(day: string): { start: Date; end: Date } {
  return { start: dayStart(day), end: dayStart(addDays(day, 1)) };
}

/** Calendar arithmetic on `YYYY-MM-DD` (no time zone involved). */
export function addDays(day: string, days: number): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

/** Days in `[from, to)`, in order. */
export function daysBetween(from: string, to: string): string[] {
  const out: string[] = [];
  for (let day = from; day < to; day = addDays(day, 1)) out.push(day);
  return out;
}

/** The local day an instant falls in. */
export function localDayOf(instant: Date | number): string {
  const ms = typeof instant === 'number' ? instant : instant.getTime();
  return DateTime.fromMillis(ms, { zone: PARIS_ZONE }).toFormat('yyyy-LL-dd');
}

/** ISO weekday of a local day: 1 = Monday … 7 = Sunday. */
export function weekdayOf(day: string): number {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  const js = new Date(Date.UTC(y, m - 1, d)).getUTCDay();
  return js === 0 ? 7 : js;
}

/** The local week (Monday 00:00 to next Monday 00:00) containing `day`. */
export function weekBounds(day: string): { startDay: string; start: Date; end: Date } {
  const startDay = addDays(day, 1 - weekdayOf(day));
  return { startDay, start: dayStart(startDay), end: dayStart(addDays(startDay, 7)) };
}

/** The local month (first day 00:00 to first day of next month 00:00) containing `day`. */
export function monthBounds(day: string): { startDay: string; start: Date; end: Date } {
  const startDay = `${day.slice(0, 7)}-01`;
  const [y, m] = startDay.split('-').map(Number) as [number, number];
  const next = new Date(Date.UTC(y, m, 1)).toISOString().slice(0, 10);
  return { startDay, start: dayStart(startDay), end: dayStart(next) };
}

function minutesOf(step: CurveStep | number): number {
  return typeof step === 'number' ? step : stepMinutes(step);
}

/** Number of curve points of a local day: 46/48/50 at PT30M, 138/144/150 at PT10M, 276/288/300 at PT5M. */
export function pointsPerDay(day: string, step: CurveStep | number): number {
  const { start, end } = dayBounds(day);
  return (end.getTime() - start.getTime()) / (minutesOf(step) * MINUTE_MS);
}

/** UTC start instants (ms) of every interval of a local day, in chronological order. */
export function pointInstants(day: string, step: CurveStep | number): number[] {
  const stepMs = minutesOf(step) * MINUTE_MS;
  const { start, end } = dayBounds(day);
  const out: number[] = [];
  for (let t = start.getTime(); t < end.getTime(); t += stepMs) out.push(t);
  return out;
}

/** Local `AAAA-MM-JJ hh:mm:ss` of an instant, as the R6X files write timestamps (dateDebut, dateFin, d). */
export function formatLocal(instant: Date | number): string {
  const ms = typeof instant === 'number' ? instant : instant.getTime();
  return DateTime.fromMillis(ms, { zone: PARIS_ZONE }).toFormat('yyyy-LL-dd HH:mm:ss');
}

/**
 * Local timestamp of the point whose interval starts at `startMs`: the start for category A, the
 * end (start + step) for category B.
 */
export function pointTimestamp(startMs: number, category: Category, step: CurveStep | number): string {
  return formatLocal(category === 'A' ? startMs : startMs + minutesOf(step) * MINUTE_MS);
}

const timestampCache = new Map<string, readonly string[]>();

/**
 * Local timestamps of every point of a day, in chronological order (cached: formatting through
 * the time-zone database is the slow part of writing or reading a file).
 */
export function dayTimestamps(day: string, category: Category, step: CurveStep | number): readonly string[] {
  const minutes = minutesOf(step);
  const key = `${day}|${category}|${minutes}`;
  let labels = timestampCache.get(key);
  if (!labels) {
    labels = Object.freeze(pointInstants(day, minutes).map((t) => pointTimestamp(t, category, minutes)));
    if (timestampCache.size > 20_000) timestampCache.clear();
    timestampCache.set(key, labels);
  }
  return labels;
}

/**
 * The local day a point timestamp belongs to. Category A stamps the interval start, so its date is
 * the day; category B stamps the end, so `D+1 00:00:00` is the last point of day D.
 */
export function dayOfPointTimestamp(timestamp: string, category: Category): string {
  const date = timestamp.slice(0, 10);
  if (category === 'B' && timestamp.endsWith(' 00:00:00')) return addDays(date, -1);
  return date;
}

const indexCache = new Map<string, ReadonlyMap<string, readonly number[]>>();

/** Whether a `YYYY-MM-DD` string is a real calendar day (no time-zone database needed). */
export function isLocalDay(day: string): boolean {
  if (!DAY_PATTERN.test(day)) return false;
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

/**
 * Local timestamp → positions in the day (see `pointPositions`), for readers that look up many
 * points of one day.
 */
export function dayPositionIndex(
  day: string,
  category: Category,
  step: CurveStep | number,
): ReadonlyMap<string, readonly number[]> {
  const minutes = minutesOf(step);
  const key = `${day}|${category}|${minutes}`;
  let index = indexCache.get(key);
  if (!index) {
    const map = new Map<string, number[]>();
    dayTimestamps(day, category, minutes).forEach((label, i) => {
      const list = map.get(label);
      if (list) list.push(i);
      else map.set(label, [i]);
    });
    if (indexCache.size > 20_000) indexCache.clear();
    indexCache.set(key, map);
    index = map;
  }
  return index;
}

/**
 * Positions of a local timestamp in its day (one position, or two for the repeated autumn hour, in
 * chronological order); undefined when the timestamp is not on the step grid of that day (wrong
 * minute, or inside the spring-forward gap).
 */
export function pointPositions(
  day: string,
  category: Category,
  step: CurveStep | number,
  timestamp: string,
): readonly number[] | undefined {
  return dayPositionIndex(day, category, step).get(timestamp);
}

const LOCAL_TIMESTAMP = /^(\d{4}-\d{2}-\d{2}) ([01]\d|2[0-3]):[0-5]\d:[0-5]\d$/;

/**
 * UTC instant (ms) of a local timestamp `AAAA-MM-JJ hh:mm:ss`, or undefined when the text is not one
 * (a day that does not exist, `24:00:00`, an ISO instant …). A time of the autumn repeated hour is taken
 * at its later (winter-time) occurrence, one of the spring gap an hour later.
 */
export function localTimestampInstant(timestamp: string): number | undefined {
  const match = LOCAL_TIMESTAMP.exec(timestamp);
  if (!match || !isLocalDay(match[1]!)) return undefined;
  const dt = DateTime.fromISO(timestamp.replace(' ', 'T'), { zone: PARIS_ZONE });
  return dt.isValid ? dt.toMillis() : undefined;
}

/** Local midnight of a day as an index timestamp (`AAAA-MM-JJ 00:00:00`). */
export function midnightTimestamp(day: string): string {
  return `${day} 00:00:00`;
}

/** Local calendar fields of an instant, for time classes. */
export function localFields(instantMs: number): {
  month: number;
  weekday: number;
  hour: number;
  minute: number;
} {
  const dt = DateTime.fromMillis(instantMs, { zone: PARIS_ZONE });
  return { month: dt.month, weekday: dt.weekday, hour: dt.hour, minute: dt.minute };
}
