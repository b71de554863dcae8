import type { Db } from '../db/database.js';
import { MeasurementRepository, type Quantity } from '../db/measurement.repository.js';
import type { PrmRecord } from '../db/prm.repository.js';
import { DISTRIBUTOR_CALENDARS, type DistributorCalendar } from '../domain/calendars.js';
import { dayTimestamps, midnightTimestamp } from '../domain/paris-calendar.js';
import { isPresent, unpackQuality, type Stage } from '../domain/point-quality.js';
import { cadranOf, TIME_CLASS_LABELS, TOTALIZER } from '../domain/time-classes.js';
import type { Category, CurveStep } from '../domain/identifiers.js';
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
import type { PublicationContentSource, PublicationScope } from './publication-content.js';

const CURVE_ORDER: readonly Quantity[] = ['PA', 'PRI', 'PRC'];

function stageOf(scope: PublicationScope): Stage {
  return scope.dataType === 'CDC_CORRIGEE' ? 'BEST' : 'BRUT';
}

/** Quantities published per category and stage: reactive power above 36 kVA raw only. */
function quantitiesOf(scope: PublicationScope): readonly Quantity[] {
  return scope.category === 'A' && stageOf(scope) === 'BRUT' ? CURVE_ORDER : ['PA'];
}

/**
 * Facts of the PRMs a file may cover (step, calendar, contract, curve-collection periods), read in
 * two queries for the whole SIREN and category instead of two per PRM.
 */
class PrmFacts {
  private prms: Map<string, PrmRecord> | undefined;
  private collection = new Map<string, Array<{ startDate: string; endDate: string | null }>>();

  constructor(
    private readonly db: Db,
    private readonly scope: PublicationScope,
  ) {}

  private async load(): Promise<Map<string, PrmRecord>> {
    const prms = new Map<string, PrmRecord>();
    const rows = await this.db
      .selectFrom('prm as p')
      .selectAll('p')
      .where('p.category', '=', this.scope.category)
      .where('p.prm', 'in', (eb) =>
        eb.selectFrom('prm_attachment').select('prm').where('siren', '=', this.scope.siren),
      )
      .execute();
    for (const row of rows) {
      prms.set(row.prm, {
        prm: row.prm,
        segment: row.segment as PrmRecord['segment'],
        category: row.category as PrmRecord['category'],
        kva: row.kva,
        step: row.step as PrmRecord['step'],
        contractNumber: row.contract_number,
        label: row.label,
        distributorCalendar: row.distributor_calendar,
        supplierCalendar: row.supplier_calendar,
      });
    }
    if (this.scope.category === 'B') {
      const periods = await this.db
        .selectFrom('prm_curve_collection as c')
        .select(['c.prm', 'c.start_date', 'c.end_date'])
        .where('c.prm', 'in', (eb) =>
          eb.selectFrom('prm_attachment').select('prm').where('siren', '=', this.scope.siren),
        )
        .execute();
      for (const period of periods) {
        const list = this.collection.get(period.prm) ?? [];
        list.push({ startDate: period.start_date, endDate: period.end_date });
        this.collection.set(period.prm, list);
      }
    }
    return prms;
  }

  async get(prm: string) {
    this.prms ??= await this.load();
    const record = this.prms.get(prm);
    if (!record) throw new Error(`PRM ${prm} of a stored measurement is missing from the registry`);
    return { prm: record, collection: this.collection.get(prm) ?? [] };
  }

  /** Contract numbers of the PRMs a file covered (for the archive search). */
  async contractOf(prm: string): Promise<string> {
    return (await this.get(prm)).prm.contractNumber;
  }
}

function collectionOn(
  periods: ReadonlyArray<{ startDate: string; endDate: string | null }>,
  day: string,
): boolean {
  return periods.some((p) => p.startDate <= day && (p.endDate === null || p.endDate > day));
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
    const blocks = scope.dataType === 'INDEX' ? this.indexBlocks(scope, 1) : this.curveBlocks(scope, 64);
    for await (const block of blocks) {
      void block;
      return true;
    }
    return false;
  }

  async *curveBlocks(scope: PublicationScope, batchSize = 2000): AsyncGenerator<R63PrmBlock> {
    const stage = stageOf(scope);
    const facts = new PrmFacts(this.db, scope);
    const qualities = { A: r63Quality(stage, 'A'), B: r63Quality(stage, 'B') };
    const pages = new MeasurementRepository(this.db).streamCurveVersionPages(
      { siren: scope.siren, category: scope.category },
      this.window(scope),
      { stage, quantities: quantitiesOf(scope) },
      batchSize,
    );
    let current: string | undefined;
    let grandeurs = new Map<Quantity, R63DayColumns[]>();
    const flush = (prm: string): R63PrmBlock => ({
      idPrm: prm,
      etapeMetier: stage,
      grandeur: CURVE_ORDER.filter((q) => grandeurs.has(q)).map((q): R63Grandeur => ({
        grandeurMetier: 'CONS',
        grandeurPhysique: q,
        points: { days: grandeurs.get(q)! },
      })),
    });
    for await (const page of pages) {
      // One PRM's block is handed over as soon as the next PRM starts; the page's rows stay in
      // memory only through the blocks that view them.
      const ready: R63PrmBlock[] = [];
      for (const day of page) {
        const { prm, collection } = await facts.get(day.prm);
        if (prm.category === 'B' && !collectionOn(collection, day.day)) continue;
        if (current !== undefined && current !== day.prm) {
          ready.push(flush(current));
          grandeurs = new Map();
        }
        current = day.prm;
        let days = grandeurs.get(day.quantity);
        if (!days) grandeurs.set(day.quantity, (days = []));
        const stamps = dayTimestamps(day.day, prm.category, day.stepMinutes);
        days.push({
          stamps,
          values: fitted(day.values, stamps.length),
          codes: fitted(day.qualities, stamps.length),
          p: prm.step as CurveStep,
          quality: qualities[prm.category],
        });
      }
      yield* ready;
    }
    if (current !== undefined) yield flush(current);
  }

  async *indexBlocks(scope: PublicationScope, batchSize = 2000): AsyncGenerator<R64PrmBlock> {
    const measurements = new MeasurementRepository(this.db);
    const facts = new PrmFacts(this.db, scope);
    let current: PrmRecord | undefined;
    let registers = new Map<string, R64Valeur[]>();
    const flush = (prm: PrmRecord): R64PrmBlock => {
      const calendar = prm.distributorCalendar as DistributorCalendar;
      const classes = (DISTRIBUTOR_CALENDARS[calendar].timeClasses as readonly string[]).filter((c) =>
        registers.has(c),
      );
      const totals = registers.get(TOTALIZER);
      return {
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
        current = (await facts.get(reading.prm)).prm;
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
