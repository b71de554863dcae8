import type { Db } from '../db/database.js';
import {
  MeasurementRepository,
  type PublicationCurveDay,
  type Quantity,
} from '../db/measurement.repository.js';
import type { PrmRecord } from '../db/prm.repository.js';
import { DISTRIBUTOR_CALENDARS, type DistributorCalendar } from '../domain/calendars.js';
import { dayTimestamps, midnightTimestamp } from '../domain/paris-calendar.js';
import { isPresent, unpackQuality, type Stage } from '../domain/point-quality.js';
import { cadranOf, TIME_CLASS_LABELS, TOTALIZER } from '../domain/time-classes.js';
import { STEPS_BY_CATEGORY, stepMinutes, type Category, type CurveStep } from '../domain/identifiers.js';
import type {
  R63DayColumns,
  R63Grandeur,
  R63PointQuality,
  R63PrmBlock,
  R64PrmBlock,
  R64Valeur,
  TypeCompletion,
  EtatComplementaire,
  R63IndiceVraisemblance,
} from './formats/r6x.types.js';
import type { PrmCoverage, PublicationContentSource, PublicationScope } from './publication-content.js';

const CURVE_ORDER: readonly Quantity[] = ['PA', 'PRI', 'PRC'];

function stageOf(scope: PublicationScope): Stage {
  return scope.dataType === 'CDC_CORRIGEE' ? 'BEST' : 'BRUT';
}

/** Quantities published per category and stage: reactive power above 36 kVA raw only. */
function quantitiesOf(scope: PublicationScope): readonly Quantity[] {
  return scope.category === 'A' && stageOf(scope) === 'BRUT' ? CURVE_ORDER : ['PA'];
}

/**
 * PRM-days per page of a curve read: about 16 MiB of vectors (6 bytes a point) on the longest day at
 * the category's finest step, so that two pages in memory stay small whatever the file, and a large
 * window is read in few keyset queries on SQLite (each probes the rest of the window again): one query
 * for a daily file of up to 18 000 Linky meters. PostgreSQL's cursor fetches smaller pages.
 */
function curvePageSize(category: Category): number {
  const finest = Math.min(...STEPS_BY_CATEGORY[category].map(stepMinutes));
  const longestDay = (25 * 60) / finest;
  return Math.floor((16 * 1024 * 1024) / (6 * longestDay));
}

/** What a file needs to know of a PRM. */
type PrmEssentials = Pick<PrmRecord, 'prm' | 'category' | 'step' | 'distributorCalendar' | 'contractNumber'>;

/** The PRMs of the scope's SIREN and category, in one query. */
async function readPrms(db: Db, scope: PublicationScope): Promise<Map<string, PrmEssentials>> {
  // Only the columns a file needs: reading whole registry rows was most of the cost.
  const rows = await db
    .selectFrom('prm as p')
    .select(['p.prm', 'p.category', 'p.step', 'p.distributor_calendar', 'p.contract_number'])
    .where('p.category', '=', scope.category)
    .where('p.prm', 'in', (eb) =>
      eb.selectFrom('prm_attachment').select('prm').where('siren', '=', scope.siren),
    )
    .execute();
  const prms = new Map<string, PrmEssentials>();
  for (const row of rows) {
    prms.set(row.prm, {
      prm: row.prm,
      category: row.category as PrmRecord['category'],
      step: row.step as PrmRecord['step'],
      distributorCalendar: row.distributor_calendar,
      contractNumber: row.contract_number,
    });
  }
  return prms;
}

function essentialsOf(prms: ReadonlyMap<string, PrmEssentials>, prm: string): PrmEssentials {
  const found = prms.get(prm);
  if (!found) throw new Error(`PRM ${prm} of a stored measurement is missing from the registry`);
  return found;
}

/** A vector cut or zero-padded to the day's positions (a missing quality is "no point"). */
function fitted<T extends Int32Array | Uint16Array>(vector: T, length: number): T {
  if (vector.length === length) return vector;
  const out = new (vector.constructor as new (length: number) => T)(length);
  out.set(vector.subarray(0, length));
  return out;
}

/**
 * The R63 quality of a stored quality code, as published for a category and stage (`tc` only in BEST
 * curves, `iv`/`ec` for category B and null for A); undefined for "no point". Decoded once per code.
 */
function r63Quality(stage: Stage, category: Category): (code: number) => R63PointQuality | undefined {
  const known = new Map<number, R63PointQuality | undefined>();
  return (code) => {
    let quality = known.get(code);
    if (quality !== undefined || known.has(code)) return quality;
    if (isPresent(code)) {
      const unpacked = unpackQuality(code);
      if (!unpacked) throw new Error(`stored point quality ${code} has no known nature`);
      quality = { n: unpacked.n };
      if (stage === 'BEST' && unpacked.tc !== undefined) quality.tc = unpacked.tc as TypeCompletion;
      quality.iv = category === 'B' ? ((unpacked.iv ?? null) as R63IndiceVraisemblance | null) : null;
      quality.ec = category === 'B' ? ((unpacked.ec ?? null) as EtatComplementaire | null) : null;
    }
    known.set(code, quality);
    return quality;
  };
}

/**
 * The store as a publication content source: the window stream of the measurement repository
 * (attachment-filtered by SIREN), grouped into one R63/R64 block per PRM, with the curve collection
 * rule applied to category B curves (a day whose collection was off is never published).
 */
export class StoreContentSource implements PublicationContentSource {
  constructor(private readonly db: Db) {}

  private window(scope: PublicationScope): { from: Date; to: Date } {
    return { from: scope.window.start, to: scope.window.end };
  }

  async hasContent(scope: PublicationScope): Promise<boolean> {
    if (scope.dataType !== 'INDEX') {
      // Category B curves count only on days their collection was on, as `curveBlocks` filters them.
      return new MeasurementRepository(this.db).hasCurveVersions(
        { siren: scope.siren, category: scope.category },
        this.window(scope),
        { stage: stageOf(scope), quantities: quantitiesOf(scope) },
        scope.category === 'B',
      );
    }
    for await (const block of this.indexBlocks(scope, 1)) {
      void block;
      return true;
    }
    return false;
  }

  /**
   * Curve blocks in PRM order, read a page of PRM-days (each with the facts of its PRM) at a time. The
   * next page is read while the second half of this one is written: at most two pages are held.
   */
  async *curveBlocks(scope: PublicationScope): AsyncGenerator<R63PrmBlock & PrmCoverage> {
    const stage = stageOf(scope);
    const quality = r63Quality(stage, scope.category);
    const stream = new MeasurementRepository(this.db).streamPublicationCurvePages(
      // Category B curves only on days their collection was on.
      { siren: scope.siren, category: scope.category, collectedOnly: scope.category === 'B' },
      this.window(scope),
      { stage, quantities: quantitiesOf(scope) },
      curvePageSize(scope.category),
    );
    const pages = stream[Symbol.asyncIterator]();
    const read = async () => {
      const next = await pages.next();
      return next.done ? undefined : next.value;
    };
    let current: PublicationCurveDay | undefined;
    let grandeurs = new Map<Quantity, R63DayColumns[]>();
    const flush = (day: PublicationCurveDay): R63PrmBlock & PrmCoverage => ({
      contractNumber: day.contractNumber,
      idPrm: day.prm,
      etapeMetier: stage,
      grandeur: CURVE_ORDER.filter((q) => grandeurs.has(q)).map((q): R63Grandeur => ({
        grandeurMetier: 'CONS',
        grandeurPhysique: q,
        points: { days: grandeurs.get(q)! },
      })),
    });
    let pending: ReturnType<typeof read> | undefined = read();
    try {
      while (pending !== undefined) {
        const page = await pending;
        pending = undefined;
        if (!page) break;
        // A PRM's block is handed over once the next PRM starts; the page's rows stay in memory
        // only through the blocks that view them.
        const ready: Array<R63PrmBlock & PrmCoverage> = [];
        for (const day of page) {
          if (current !== undefined && current.prm !== day.prm) {
            ready.push(flush(current));
            grandeurs = new Map();
          }
          current = day;
          let days = grandeurs.get(day.quantity);
          if (!days) grandeurs.set(day.quantity, (days = []));
          const stamps = dayTimestamps(day.day, scope.category, day.stepMinutes);
          days.push({
            stamps,
            values: fitted(day.values, stamps.length),
            codes: fitted(day.qualities, stamps.length),
            p: day.prmStep as CurveStep,
            quality,
          });
        }
        // The next page is read once half of this one is handed over: PostgreSQL works on it while
        // the rest of this one is written.
        const half = Math.floor(ready.length / 2);
        for (let i = 0; i < ready.length; i++) {
          if (i === half) pending = read();
          yield ready[i]!;
        }
        pending ??= read();
      }
      if (current !== undefined) yield flush(current);
    } finally {
      // A consumer that stops early leaves no read running behind it.
      await pending?.catch(() => undefined);
      await pages.return(undefined);
    }
  }

  async *indexBlocks(scope: PublicationScope, batchSize = 2000): AsyncGenerator<R64PrmBlock & PrmCoverage> {
    const measurements = new MeasurementRepository(this.db);
    let prms: Map<string, PrmEssentials> | undefined;
    let current: PrmEssentials | undefined;
    let registers = new Map<string, R64Valeur[]>();
    const flush = (prm: PrmEssentials): R64PrmBlock & PrmCoverage => {
      const calendar = prm.distributorCalendar as DistributorCalendar;
      const classes = (DISTRIBUTOR_CALENDARS[calendar].timeClasses as readonly string[]).filter((c) =>
        registers.has(c),
      );
      const totals = registers.get(TOTALIZER);
      return {
        contractNumber: prm.contractNumber,
        idPrm: prm.prm,
        contexte: [
          {
            etapeMetier: 'BRUT',
            contexteReleve: prm.category === 'B' ? 'COL' : 'FMR',
            typeReleve: prm.category === 'B' ? 'AQ' : 'RC',
            grandeur: [
              {
                grandeurMetier: 'CONS',
                grandeurPhysique: 'EA',
                calendrier: [
                  {
                    idCalendrier: calendar,
                    libelleCalendrier: DISTRIBUTOR_CALENDARS[calendar].label,
                    libelleGrille: 'Distributeur',
                    classeTemporelle: classes.map((register) => ({
                      idClasseTemporelle: register,
                      libelleClasseTemporelle: TIME_CLASS_LABELS[register] ?? register,
                      codeCadran: cadranOf(calendar, prm.category, register),
                      valeur: registers.get(register)!,
                    })),
                  },
                ],
                ...(totals ? { cadranTotalisateur: { codeCadran: 'IDX_EAS_T', valeur: totals } } : {}),
              },
            ],
          },
        ],
      };
    };
    const stream = measurements.streamIndexVersions(
      { siren: scope.siren, category: scope.category },
      this.window(scope),
      batchSize,
    );
    for await (const reading of stream) {
      if (current?.prm !== reading.prm) {
        if (current) yield flush(current);
        registers = new Map();
        prms ??= await readPrms(this.db, scope);
        current = essentialsOf(prms, reading.prm);
      }
      let values = registers.get(reading.register);
      if (!values) registers.set(reading.register, (values = []));
      values.push({
        d: midnightTimestamp(reading.day),
        v: reading.valueWh,
        iv: current.category === 'B' ? reading.iv : null,
      });
    }
    if (current) yield flush(current);
  }
}
