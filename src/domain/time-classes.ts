import { DISTRIBUTOR_CALENDARS, type DistributorCalendar } from './calendars.js';
import type { Category, CurveStep } from './identifiers.js';
import { stepMinutes } from './identifiers.js';
import { localFields, pointInstants } from './paris-calendar.js';

/**
 * Hours of the distributor time classes, in Paris local time, applied to the START of each curve
 * interval (an interval belongs wholly to one class because class boundaries fall on whole hours).
 *
 * - DI000001: BASE all the time.
 * - DI000002: HC (heures creuses) 22:00–06:00 every day, HP otherwise.
 * - DI000003: winter ("hiver", saison haute) is November to March, summer ("été") April to October.
 *   P (pointe): 09:00–11:00 and 18:00–20:00, Monday to Friday, December to February.
 *   Heures creuses: 22:00–06:00 every day and all of Sunday (HCH in winter, HCE in summer).
 *   Heures pleines: every other hour (HPH in winter, HPE in summer).
 */
export const TIME_CLASS_LABELS: Readonly<Record<string, string>> = {
  BASE: 'Base',
  HP: 'Heures Pleines',
  HC: 'Heures Creuses',
  P: 'Pointe',
  HPH: 'Heures Pleines Hiver / Saison Haute',
  HCH: 'Heures Creuses Hiver / Saison Haute',
  HPE: 'Heures Pleines Eté / Saison Basse',
  HCE: 'Heures Creuses Eté / Saison Basse',
};

/** Register key of the Linky totalizer index (IDX_EAS_T), stored beside the time-class registers. */
export const TOTALIZER = 'TOTAL';

function isOffPeakHour(hour: number): boolean {
  return hour >= 22 || hour < 6;
}

/** Time class of an instant for a distributor calendar. */
export function timeClassAt(calendar: DistributorCalendar, instantMs: number): string {
  if (calendar === 'DI000001') return 'BASE';
  const { month, weekday, hour } = localFields(instantMs);
  if (calendar === 'DI000002') return isOffPeakHour(hour) ? 'HC' : 'HP';
  const winter = month >= 11 || month <= 3;
  const peakMonth = month === 12 || month <= 2;
  if (peakMonth && weekday <= 5 && ((hour >= 9 && hour < 11) || (hour >= 18 && hour < 20))) return 'P';
  const offPeak = isOffPeakHour(hour) || weekday === 7;
  if (winter) return offPeak ? 'HCH' : 'HPH';
  return offPeak ? 'HCE' : 'HPE';
}

/** The registers of a PRM's daily index: its calendar's classes, plus the totalizer for category B. */
export function registersOf(calendar: DistributorCalendar, category: Category): readonly string[] {
  const classes = DISTRIBUTOR_CALENDARS[calendar].timeClasses as readonly string[];
  return category === 'B' ? [...classes, TOTALIZER] : classes;
}

/**
 * Cadran code of a register as published in R64: Linky distributor grid IDX_EAS_D1…D4 and totalizer
 * IDX_EAS_T; meters above 36 kVA EA1…EA5 in calendar order.
 */
export function cadranOf(calendar: DistributorCalendar, category: Category, register: string): string {
  if (register === TOTALIZER) return 'IDX_EAS_T';
  const position = (DISTRIBUTOR_CALENDARS[calendar].timeClasses as readonly string[]).indexOf(register) + 1;
  return category === 'B' ? `IDX_EAS_D${position}` : `EA${position}`;
}

const classCache = new Map<string, Uint8Array>();

/**
 * Time class of every point of a local day, as positions in the calendar's class list (cached).
 */
export function dayTimeClasses(
  day: string,
  step: CurveStep | number,
  calendar: DistributorCalendar,
): Uint8Array {
  const minutes = typeof step === 'number' ? step : stepMinutes(step);
  const key = `${day}|${minutes}|${calendar}`;
  let classes = classCache.get(key);
  if (!classes) {
    const list = DISTRIBUTOR_CALENDARS[calendar].timeClasses as readonly string[];
    const instants = pointInstants(day, minutes);
    classes = new Uint8Array(instants.length);
    instants.forEach((t, i) => (classes![i] = list.indexOf(timeClassAt(calendar, t))));
    if (classCache.size > 20_000) classCache.clear();
    classCache.set(key, classes);
  }
  return classes;
}
