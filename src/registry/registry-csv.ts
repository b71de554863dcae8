import { AppError } from '../domain/app-error.js';
import { DEFAULT_CALENDAR, isDistributorCalendarFor } from '../domain/calendars.js';
import { splitCsvLine } from '../domain/csv-line.js';
import {
  categoryOf,
  checkSubscribedPower,
  DEFAULT_STEP,
  parsePrm,
  parseSegment,
  parseSiren,
  parseStep,
} from '../domain/identifiers.js';
import { parseLocalDate } from '../domain/local-date.js';
import type { PrmRecord } from '../db/prm.repository.js';

/** Columns of the registry CSV, in order (docs/registry-import.md). The last three are optional. */
export const REGISTRY_COLUMNS = [
  'entreprise',
  'siren',
  'prm',
  'segment',
  'kva',
  'contract',
  'step',
  'label',
  'attachment_start',
  'attachment_end',
  'distributor_calendar',
  'supplier_calendar',
  'curve_collection_start',
] as const;
const REQUIRED_COLUMNS = 10;

export interface RegistryLine {
  line: number;
  entreprise: string;
  siren: string;
  prm: PrmRecord;
  attachmentStart: string;
  attachmentEnd: string | null;
  curveCollectionStart: string | null;
}

export interface LineError {
  line: number;
  reason: string;
}

function message(error: unknown): string {
  return error instanceof AppError ? error.detail : String(error);
}

/**
 * Parses the whole registry CSV text. Returns every line error found (not only the first), so the
 * operator can fix the file in one pass.
 */
export function parseRegistryCsv(text: string): { lines: RegistryLine[]; errors: LineError[] } {
  const rawLines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const errors: LineError[] = [];
  const lines: RegistryLine[] = [];
  const header = splitCsvLine(rawLines[0] ?? '')?.map((h) => h.trim().toLowerCase());
  const expected = REGISTRY_COLUMNS.slice(0, REQUIRED_COLUMNS).join(';');
  if (!header || header.slice(0, REQUIRED_COLUMNS).join(';') !== expected) {
    return { lines, errors: [{ line: 1, reason: `header must start with "${expected}"` }] };
  }
  for (let i = 0; i < header.length; i++) {
    if (header[i] !== REGISTRY_COLUMNS[i]) {
      return {
        lines,
        errors: [{ line: 1, reason: `unexpected column "${header[i]}" at position ${i + 1}` }],
      };
    }
  }
  // A registry holds few distinct days: each is checked once.
  const days = new Map<string, string>();
  const day = (value: string, what: string) => {
    let checked = days.get(value);
    if (checked === undefined) {
      checked = parseLocalDate(value, what);
      days.set(value, checked);
    }
    return checked;
  };
  for (let index = 1; index < rawLines.length; index++) {
    const lineNumber = index + 1;
    const raw = rawLines[index]!;
    if (raw.trim() === '') continue;
    const fields = splitCsvLine(raw);
    if (!fields) {
      errors.push({ line: lineNumber, reason: 'unterminated quoted field' });
      continue;
    }
    if (fields.length !== header.length) {
      errors.push({ line: lineNumber, reason: `expected ${header.length} fields, found ${fields.length}` });
      continue;
    }
    const get = (column: (typeof REGISTRY_COLUMNS)[number]) =>
      (fields[REGISTRY_COLUMNS.indexOf(column)] ?? '').trim();
    try {
      const entreprise = get('entreprise');
      if (entreprise === '') throw new AppError('INVALID_INPUT', 'entreprise name is empty');
      const siren = parseSiren(get('siren'));
      const prm = parsePrm(get('prm'));
      const segment = parseSegment(get('segment'));
      const category = categoryOf(segment);
      const kvaText = get('kva').replace(',', '.');
      const kva = kvaText === '' ? NaN : Number(kvaText);
      checkSubscribedPower(kva, segment);
      const contract = get('contract');
      if (contract === '') throw new AppError('INVALID_INPUT', 'contract number is empty');
      const step = get('step') === '' ? DEFAULT_STEP[category] : parseStep(get('step'), category);
      const label = get('label');
      const attachmentStart = day(get('attachment_start'), 'attachment_start');
      const attachmentEnd =
        get('attachment_end') === '' ? null : day(get('attachment_end'), 'attachment_end');
      if (attachmentEnd !== null && attachmentEnd <= attachmentStart) {
        throw new AppError(
          'INVALID_INPUT',
          `attachment_end ${attachmentEnd} is not after attachment_start ${attachmentStart}`,
        );
      }
      const calendar = get('distributor_calendar') || DEFAULT_CALENDAR[category];
      if (!isDistributorCalendarFor(calendar, category)) {
        throw new AppError(
          'INVALID_INPUT',
          `distributor_calendar "${calendar}" is not a calendar of category ${category}`,
        );
      }
      const collection = get('curve_collection_start');
      if (collection !== '' && category === 'A') {
        throw new AppError('INVALID_INPUT', 'curve_collection_start applies to category B (C5) only');
      }
      lines.push({
        line: lineNumber,
        entreprise,
        siren,
        prm: {
          prm,
          segment,
          category,
          kva,
          step,
          contractNumber: contract,
          label,
          distributorCalendar: calendar,
          supplierCalendar: get('supplier_calendar') || null,
        },
        attachmentStart,
        attachmentEnd,
        curveCollectionStart: collection === '' ? null : day(collection, 'curve_collection_start'),
      });
    } catch (error) {
      errors.push({ line: lineNumber, reason: message(error) });
    }
  }
  return { lines, errors };
}
