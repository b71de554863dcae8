import type { Category } from './identifiers.js';

/**
 * Distributor calendars (grilles distributeur) and their time classes. Codes follow the distributor's
 * naming (`DI0000xx`); the hours of each class are defined with the Paris calendar.
 */
export const DISTRIBUTOR_CALENDARS = {
  DI000001: { label: 'Sans différenciation temporelle', category: 'B', timeClasses: ['BASE'] },
  DI000002: { label: 'Heures pleines / Heures creuses', category: 'B', timeClasses: ['HP', 'HC'] },
  DI000003: {
    label: 'Pointe, heures pleines et creuses hiver et été',
    category: 'A',
    timeClasses: ['P', 'HPH', 'HCH', 'HPE', 'HCE'],
  },
} as const satisfies Record<string, { label: string; category: Category; timeClasses: readonly string[] }>;

export type DistributorCalendar = keyof typeof DISTRIBUTOR_CALENDARS;

export const DEFAULT_CALENDAR: Readonly<Record<Category, DistributorCalendar>> = {
  A: 'DI000003',
  B: 'DI000002',
};

export function isDistributorCalendarFor(code: string, category: Category): code is DistributorCalendar {
  const calendar = (DISTRIBUTOR_CALENDARS as Record<string, { category: Category }>)[code];
  return calendar !== undefined && calendar.category === category;
}
