import type { CurveDay, IndexReading } from '../db/measurement.repository.js';
import { DISTRIBUTOR_CALENDARS, type DistributorCalendar } from '../domain/calendars.js';
import type { Category } from '../domain/identifiers.js';
import { addDays, dayTimestamps } from '../domain/paris-calendar.js';
import { unpackQuality } from '../domain/point-quality.js';
import { cadranOf, TIME_CLASS_LABELS, TOTALIZER } from '../domain/time-classes.js';
import { R63_CSV_COLUMNS, R64_CSV_COLUMNS } from '../domain/r6x-csv-columns.js';

/**
 * Minimal R63/R64 files built from stored-shape data, in the guide's layouts: input for the bench and
 * for import tests. (Publications have their own writers; these only need to be valid input.)
 */
/** The collection window written in CSV samples (the import does not read it) and in empty JSON ones. */
const PERIOD = { dateDebut: '2023-09-19 06:00:00', dateFin: '2023-09-19 08:00:00' };

/** Who a JSON sample is addressed to: the SIREN that owns its PRMs (the test registries' default one). */
export interface R6xJsonOptions {
  idDestinataire?: string;
}

/**
 * The collection window of a sample: the day after its last measurement day, when all of them can
 * have been collected (the import refuses a measurement from the window's end on).
 */
function windowAfter(days: readonly string[]): { dateDebut: string; dateFin: string } {
  if (days.length === 0) return PERIOD;
  const last = days.reduce((a, b) => (a > b ? a : b));
  return { dateDebut: `${addDays(last, 1)} 00:00:00`, dateFin: `${addDays(last, 2)} 00:00:00` };
}

const UNIT: Record<string, string> = { PA: 'W', PRI: 'VAr', PRC: 'VAr' };
const STEP: Record<number, string> = { 5: 'PT5M', 10: 'PT10M', 15: 'PT15M', 30: 'PT30M', 60: 'PT60M' };

export function r63CsvHeader(): string {
  return R63_CSV_COLUMNS.join(';');
}

/** CSV lines (no header) of the present points of curve days, each day in the window of the day after. */
export function* r63CsvLines(days: Iterable<CurveDay>, category: Category): Generator<string> {
  for (const c of days) {
    const stamps = dayTimestamps(c.day, category, c.stepMinutes);
    const window = windowAfter([c.day]);
    const prefix = `${c.prm};${window.dateDebut};${window.dateFin};${c.quantity};CONS;${c.stage};${UNIT[c.quantity]};`;
    const suffix = `;${STEP[c.stepMinutes]};`;
    for (let i = 0; i < c.values.length; i++) {
      const q = unpackQuality(c.qualities[i]!);
      if (!q) continue;
      yield `${prefix}${stamps[i]};${c.values[i]};${q.n}${suffix}${q.iv ?? 'null'};${q.ec ?? 'null'}`;
    }
  }
}

export function r63Csv(days: Iterable<CurveDay>, category: Category): string {
  return [r63CsvHeader(), ...r63CsvLines(days, category)].join('\n') + '\n';
}

function header(codeFlux: string, options: R6xJsonOptions) {
  return {
    siDemandeur: 'LINCS',
    typeDestinataire: 'ENTREPRISE',
    idDestinataire: options.idDestinataire ?? '356000000',
    codeFlux,
    idDemande: 'M0000KY0',
    modePublication: 'Q',
    format: 'JSON',
    idPublication: '1',
    publicationCrp: 'non',
  };
}

export function r63Json(days: readonly CurveDay[], category: Category, options: R6xJsonOptions = {}): string {
  const periode = windowAfter(days.map((d) => d.day));
  const blocks = new Map<string, CurveDay[]>();
  for (const d of days) {
    const key = `${d.prm}|${d.stage}`;
    blocks.set(key, [...(blocks.get(key) ?? []), d]);
  }
  const mesures = [...blocks.values()].map((list) => ({
    idPrm: list[0]!.prm,
    etapeMetier: list[0]!.stage,
    periode,
    modeCalcul: 'MESURE',
    grandeur: [...new Set(list.map((d) => d.quantity))].map((quantity) => ({
      grandeurMetier: 'CONS',
      grandeurPhysique: quantity,
      unite: UNIT[quantity],
      points: list
        .filter((d) => d.quantity === quantity)
        .flatMap((d) => {
          const stamps = dayTimestamps(d.day, category, d.stepMinutes);
          return [...d.values].flatMap((v, i) => {
            const q = unpackQuality(d.qualities[i]!);
            if (!q) return [];
            return [
              {
                v: String(v),
                d: stamps[i],
                p: STEP[d.stepMinutes],
                n: q.n,
                ...(q.tc ? { tc: q.tc } : {}),
                iv: q.iv ?? null,
                ec: q.ec ?? null,
              },
            ];
          });
        }),
    })),
  }));
  return JSON.stringify({ header: header(`R63${category}`, options), mesures }, null, 1);
}

export function r64Csv(
  readings: readonly IndexReading[],
  calendar: DistributorCalendar,
  category: Category,
): string {
  const window = windowAfter(readings.map((r) => r.day));
  const lines = readings.map((r) => {
    const total = r.register === TOTALIZER;
    return [
      r.prm,
      window.dateDebut,
      window.dateFin,
      'EA',
      'CONS',
      'BRUT',
      'Wh',
      `${r.day} 00:00:00`,
      category === 'B' ? 'COL' : 'FMR',
      category === 'B' ? 'AQ' : 'RC',
      'null',
      total ? 'T' : 'D',
      total ? 'null' : calendar,
      total ? 'null' : DISTRIBUTOR_CALENDARS[calendar].label,
      total ? 'null' : r.register,
      total ? 'null' : TIME_CLASS_LABELS[r.register],
      cadranOf(calendar, category, r.register),
      String(r.valueWh),
      r.iv === null ? 'null' : String(r.iv),
    ].join(';');
  });
  return [R64_CSV_COLUMNS.join(';'), ...lines].join('\n') + '\n';
}

export function r64Json(
  readings: readonly IndexReading[],
  calendar: DistributorCalendar,
  category: Category,
  options: R6xJsonOptions = {},
): string {
  const periode = windowAfter(readings.map((r) => r.day));
  const prms = [...new Set(readings.map((r) => r.prm))];
  const mesures = prms.map((prm) => {
    const mine = readings.filter((r) => r.prm === prm);
    const registers = [...new Set(mine.filter((r) => r.register !== TOTALIZER).map((r) => r.register))];
    const totals = mine.filter((r) => r.register === TOTALIZER);
    const valeur = (list: IndexReading[]) =>
      list.map((r) => ({ d: `${r.day} 00:00:00`, v: r.valueWh, iv: r.iv }));
    return {
      idPrm: prm,
      periode,
      contexte: [
        {
          etapeMetier: 'BRUT',
          contexteReleve: category === 'B' ? 'COL' : 'FMR',
          typeReleve: category === 'B' ? 'AQ' : 'RC',
          grandeur: [
            {
              grandeurMetier: 'CONS',
              grandeurPhysique: 'EA',
              unite: 'Wh',
              calendrier: [
                {
                  idCalendrier: calendar,
                  libelleCalendrier: DISTRIBUTOR_CALENDARS[calendar].label,
                  libelleGrille: 'Distributeur',
                  classeTemporelle: registers.map((register) => ({
                    idClasseTemporelle: register,
                    libelleClasseTemporelle: TIME_CLASS_LABELS[register],
                    codeCadran: cadranOf(calendar, category, register),
                    valeur: valeur(mine.filter((r) => r.register === register)),
                  })),
                },
              ],
              ...(totals.length > 0
                ? { cadranTotalisateur: { codeCadran: 'IDX_EAS_T', valeur: valeur(totals) } }
                : {}),
            },
          ],
        },
      ],
    };
  });
  return JSON.stringify({ header: header(`R64${category}`, options), mesures }, null, 1);
}
