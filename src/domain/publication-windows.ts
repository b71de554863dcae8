import { DateTime } from 'luxon';

import { PARIS_ZONE } from './paris-calendar.js';

/** Q = quotidienne (one local day), H = hebdomadaire (Monday to Monday), M = mensuelle (1st to 1st). */
export type Frequency = 'Q' | 'H' | 'M';

/** A collection window `[start, end)`: Paris calendar boundaries, held as UTC instants. */
export interface PublicationWindow {
  frequency: Frequency;
  start: Date;
  end: Date;
}

function startOfPeriod(frequency: Frequency, local: DateTime): DateTime {
  switch (frequency) {
    case 'Q':
      return local.startOf('day');
    case 'H':
      return local.startOf('week'); // Luxon weeks are ISO weeks: they start on Monday
    case 'M':
      return local.startOf('month');
  }
}

function plusOne(frequency: Frequency, local: DateTime): DateTime {
  // Calendar arithmetic in the Paris zone: a DST day lasts 23 or 25 hours, a week 167 or 169.
  switch (frequency) {
    case 'Q':
      return local.plus({ days: 1 });
    case 'H':
      return local.plus({ weeks: 1 });
    case 'M':
      return local.plus({ months: 1 });
  }
}

/** The window of a frequency that contains an instant. */
export function windowContaining(frequency: Frequency, instant: Date): PublicationWindow {
  const start = startOfPeriod(frequency, DateTime.fromJSDate(instant, { zone: PARIS_ZONE }));
  return { frequency, start: start.toJSDate(), end: plusOne(frequency, start).toJSDate() };
}

/** The window that follows `window`. */
export function nextWindow(window: PublicationWindow): PublicationWindow {
  const start = DateTime.fromJSDate(window.end, { zone: PARIS_ZONE });
  return { frequency: window.frequency, start: window.end, end: plusOne(window.frequency, start).toJSDate() };
}

/** Whether `start` is a window boundary of the frequency (what `publish --window` accepts). */
export function isWindowStart(frequency: Frequency, start: Date): boolean {
  return windowContaining(frequency, start).start.getTime() === start.getTime();
}

/**
 * Every window that has ended by `now`, from the one containing `from` (a subscription's effective
 * instant) onwards, oldest first, at most `limit` of them: what the scheduler must have published.
 */
export function endedWindowsSince(
  frequency: Frequency,
  from: Date,
  now: Date,
  limit = 10_000,
): PublicationWindow[] {
  const windows: PublicationWindow[] = [];
  let window = windowContaining(frequency, from);
  while (window.end.getTime() <= now.getTime() && windows.length < limit) {
    windows.push(window);
    window = nextWindow(window);
  }
  return windows;
}

/**
 * Parses a window start given on the command line or the API: a local date `YYYY-MM-DD` (midnight in
 * Paris) or an ISO instant. Returns undefined when the text is neither.
 */
export function parseWindowStart(text: string): Date | undefined {
  const local = DateTime.fromISO(text.trim(), { zone: PARIS_ZONE, setZone: false });
  return local.isValid ? local.toJSDate() : undefined;
}
