import type { Category } from '../domain/identifiers.js';
import type { Stage } from '../domain/point-quality.js';
import { decodeQualities, decodeValues, encodeQualities, encodeValues } from '../meterdata/vector-codec.js';
import type { Db } from './database.js';

/** Curve quantities stored (grandeur physique, consumption side). */
export type Quantity = 'PA' | 'PRI' | 'PRC';
export const QUANTITIES: readonly Quantity[] = ['PA', 'PRI', 'PRC'];

/** One curve of one PRM for one local day. */
export interface CurveDay {
  prm: string;
  day: string;
  quantity: Quantity;
  stage: Stage;
  stepMinutes: number;
  values: Int32Array;
  qualities: Uint16Array;
}

/** A stored curve day and its version instant. */
export interface StoredCurveDay extends CurveDay {
  storedAt: string;
}

/** Cumulative Wh of one register at local midnight starting `day`. */
export interface IndexReading {
  prm: string;
  day: string;
  register: string;
  valueWh: number;
  iv: number | null;
}

export interface StoredIndexReading extends IndexReading {
  storedAt: string;
}

/** Which PRMs a window read covers: an explicit list, or a SIREN's PRMs on the days they were attached. */
export type PrmSelection = { prms: readonly string[] } | { siren: string; category?: Category };

/** Batch sizes keep parameter counts under both engines' limits. */
const WRITE_BATCH = 400;
const PRM_CHUNK = 500;

type CurveRow = {
  prm: string;
  day: string;
  quantity: string;
  stage: string;
  step_minutes: number;
  vals: Uint8Array;
  qualities: Uint8Array;
  stored_at: string;
};

function toCurveDay(row: CurveRow): StoredCurveDay {
  return {
    prm: row.prm,
    day: row.day,
    quantity: row.quantity as Quantity,
    stage: row.stage as Stage,
    stepMinutes: row.step_minutes,
    values: decodeValues(row.vals),
    qualities: decodeQualities(row.qualities),
    storedAt: row.stored_at,
  };
}

/**
 * Measurements store: PRM-day curve vectors and daily index readings, each versioned by
 * `stored_at`. Writes are upserts by key; rewriting identical content keeps the old version.
 */
export class MeasurementRepository {
  constructor(private readonly db: Db) {}

  /**
   * Inserts or replaces curve days. A day whose content is unchanged keeps its `stored_at`.
   * Returns the keys of the days that were created or changed (new versions).
   */
  async upsertCurveDays(
    days: readonly CurveDay[],
    now: Date,
  ): Promise<Array<Pick<CurveDay, 'prm' | 'day' | 'quantity' | 'stage'>>> {
    const storedAt = now.toISOString();
    const changed: Array<Pick<CurveDay, 'prm' | 'day' | 'quantity' | 'stage'>> = [];
    for (let i = 0; i < days.length; i += WRITE_BATCH) {
      const rows = days.slice(i, i + WRITE_BATCH).map((d) => ({
        prm: d.prm,
        day: d.day,
        quantity: d.quantity,
        stage: d.stage,
        step_minutes: d.stepMinutes,
        vals: encodeValues(d.values),
        qualities: encodeQualities(d.qualities),
        stored_at: storedAt,
      }));
      const returned = await this.db
        .insertInto('curve_day')
        .values(rows)
        .onConflict((oc) =>
          oc
            .columns(['prm', 'day', 'quantity', 'stage'])
            .doUpdateSet((eb) => ({
              step_minutes: eb.ref('excluded.step_minutes'),
              vals: eb.ref('excluded.vals'),
              qualities: eb.ref('excluded.qualities'),
              stored_at: eb.ref('excluded.stored_at'),
            }))
            .where((eb) =>
              eb.or([
                eb('curve_day.vals', '<>', eb.ref('excluded.vals')),
                eb('curve_day.qualities', '<>', eb.ref('excluded.qualities')),
                eb('curve_day.step_minutes', '<>', eb.ref('excluded.step_minutes')),
              ]),
            ),
        )
        .returning(['prm', 'day', 'quantity', 'stage'])
        .execute();
      for (const r of returned)
        changed.push({ prm: r.prm, day: r.day, quantity: r.quantity as Quantity, stage: r.stage as Stage });
    }
    return changed;
  }

  /** Inserts or replaces index readings; unchanged readings keep their version. Returns how many changed. */
  async upsertIndexReadings(readings: readonly IndexReading[], now: Date): Promise<number> {
    const storedAt = now.toISOString();
    let changed = 0;
    for (let i = 0; i < readings.length; i += WRITE_BATCH) {
      const rows = readings.slice(i, i + WRITE_BATCH).map((r) => ({
        prm: r.prm,
        day: r.day,
        register: r.register,
        value_wh: r.valueWh,
        iv: r.iv,
        stored_at: storedAt,
      }));
      const returned = await this.db
        .insertInto('index_reading')
        .values(rows)
        .onConflict((oc) =>
          oc
            .columns(['prm', 'day', 'register'])
            .doUpdateSet((eb) => ({
              value_wh: eb.ref('excluded.value_wh'),
              iv: eb.ref('excluded.iv'),
              stored_at: eb.ref('excluded.stored_at'),
            }))
            .where((eb) =>
              eb.or([
                eb('index_reading.value_wh', '<>', eb.ref('excluded.value_wh')),
                eb(
                  eb.fn.coalesce('index_reading.iv', eb.lit(-1)),
                  '<>',
                  eb.fn.coalesce('excluded.iv', eb.lit(-1)),
                ),
              ]),
            ),
        )
        .returning('prm')
        .execute();
      changed += returned.length;
    }
    return changed;
  }

  /** A PRM's curves over local days `[fromDay, toDay)`, in (day, quantity) order. */
  async readCurves(
    prm: string,
    fromDay: string,
    toDay: string,
    filter: { stage?: Stage; quantity?: Quantity } = {},
  ): Promise<StoredCurveDay[]> {
    let query = this.db
      .selectFrom('curve_day')
      .selectAll()
      .where('prm', '=', prm)
      .where('day', '>=', fromDay)
      .where('day', '<', toDay);
    if (filter.stage) query = query.where('stage', '=', filter.stage);
    if (filter.quantity) query = query.where('quantity', '=', filter.quantity);
    const rows = await query.orderBy('day').orderBy('quantity').orderBy('stage').execute();
    return rows.map(toCurveDay);
  }

  async readCurve(
    prm: string,
    day: string,
    quantity: Quantity,
    stage: Stage,
  ): Promise<StoredCurveDay | undefined> {
    const row = await this.db
      .selectFrom('curve_day')
      .selectAll()
      .where('prm', '=', prm)
      .where('day', '=', day)
      .where('quantity', '=', quantity)
      .where('stage', '=', stage)
      .executeTakeFirst();
    return row && toCurveDay(row);
  }

  /** A PRM's index readings over local days `[fromDay, toDay)`, in (day, register) order. */
  async readIndex(prm: string, fromDay: string, toDay: string): Promise<StoredIndexReading[]> {
    const rows = await this.db
      .selectFrom('index_reading')
      .selectAll()
      .where('prm', '=', prm)
      .where('day', '>=', fromDay)
      .where('day', '<', toDay)
      .orderBy('day')
      .orderBy('register')
      .execute();
    return rows.map((r) => ({
      prm: r.prm,
      day: r.day,
      register: r.register,
      valueWh: Number(r.value_wh),
      iv: r.iv,
      storedAt: r.stored_at,
    }));
  }

  /** Latest reading of each register strictly before `day` (the generator continues from it). */
  async lastIndexBefore(prm: string, day: string): Promise<StoredIndexReading[]> {
    const last = await this.db
      .selectFrom('index_reading')
      .select('day')
      .where('prm', '=', prm)
      .where('day', '<', day)
      .orderBy('day', 'desc')
      .limit(1)
      .executeTakeFirst();
    return last ? this.readIndex(prm, last.day, `${last.day}~`) : [];
  }

  /**
   * Every curve-day version stored in `[window.from, window.to)` for the selected PRMs, stage and
   * quantities, in (prm, day, quantity) key order. The publication engine's read: it streams in
   * batches of `batchSize` rows with keyset pagination (never OFFSET, never a whole window in memory),
   * each batch one short query, so it is safe on a month of thousands of PRMs. With a SIREN
   * selection only days inside the PRM's attachment to that SIREN are returned (a former owner gets
   * nothing after the move).
   */
  async *streamCurveVersions(
    selection: PrmSelection,
    window: { from: Date; to: Date },
    filter: { stage: Stage; quantities: readonly Quantity[] },
    batchSize = 256,
  ): AsyncGenerator<StoredCurveDay> {
    for (const prms of this.prmChunks(selection)) {
      let after: [string, string, string] | undefined;
      for (;;) {
        let query = this.db
          .selectFrom('curve_day as c')
          .select([
            'c.prm',
            'c.day',
            'c.quantity',
            'c.stage',
            'c.step_minutes',
            'c.vals',
            'c.qualities',
            'c.stored_at',
          ])
          .where('c.stored_at', '>=', window.from.toISOString())
          .where('c.stored_at', '<', window.to.toISOString())
          .where('c.stage', '=', filter.stage)
          .where('c.quantity', 'in', [...filter.quantities]);
        if (prms) query = query.where('c.prm', 'in', prms);
        if ('siren' in selection) {
          const { siren, category } = selection;
          query = query.where(({ exists, selectFrom }) =>
            exists(
              selectFrom('prm_attachment as a')
                .select('a.id')
                .whereRef('a.prm', '=', 'c.prm')
                .where('a.siren', '=', siren)
                .whereRef('a.start_date', '<=', 'c.day')
                .where((eb) => eb.or([eb('a.end_date', 'is', null), eb('a.end_date', '>', eb.ref('c.day'))])),
            ),
          );
          if (category)
            query = query.where(
              'c.prm',
              'in',
              this.db.selectFrom('prm').select('prm').where('category', '=', category),
            );
        }
        if (after) {
          const [prm, day, quantity] = after;
          query = query.where((eb) =>
            eb(eb.refTuple('c.prm', 'c.day', 'c.quantity'), '>', eb.tuple(prm, day, quantity)),
          );
        }
        const rows = await query
          .orderBy('c.prm')
          .orderBy('c.day')
          .orderBy('c.quantity')
          .limit(batchSize)
          .execute();
        for (const row of rows) yield toCurveDay(row);
        if (rows.length < batchSize) break;
        const last = rows[rows.length - 1]!;
        after = [last.prm, last.day, last.quantity];
      }
    }
  }

  /**
   * Every index reading version stored in `[window.from, window.to)` for the selected PRMs, in
   * (prm, day, register) order, streamed with keyset pagination like `streamCurveVersions`.
   */
  async *streamIndexVersions(
    selection: PrmSelection,
    window: { from: Date; to: Date },
    batchSize = 2000,
  ): AsyncGenerator<StoredIndexReading> {
    for (const prms of this.prmChunks(selection)) {
      let after: [string, string, string] | undefined;
      for (;;) {
        let query = this.db
          .selectFrom('index_reading as r')
          .select(['r.prm', 'r.day', 'r.register', 'r.value_wh', 'r.iv', 'r.stored_at'])
          .where('r.stored_at', '>=', window.from.toISOString())
          .where('r.stored_at', '<', window.to.toISOString());
        if (prms) query = query.where('r.prm', 'in', prms);
        if ('siren' in selection) {
          const { siren, category } = selection;
          query = query.where(({ exists, selectFrom }) =>
            exists(
              selectFrom('prm_attachment as a')
                .select('a.id')
                .whereRef('a.prm', '=', 'r.prm')
                .where('a.siren', '=', siren)
                .whereRef('a.start_date', '<=', 'r.day')
                .where((eb) => eb.or([eb('a.end_date', 'is', null), eb('a.end_date', '>', eb.ref('r.day'))])),
            ),
          );
          if (category)
            query = query.where(
              'r.prm',
              'in',
              this.db.selectFrom('prm').select('prm').where('category', '=', category),
            );
        }
        if (after) {
          const [prm, day, register] = after;
          query = query.where((eb) =>
            eb(eb.refTuple('r.prm', 'r.day', 'r.register'), '>', eb.tuple(prm, day, register)),
          );
        }
        const rows = await query
          .orderBy('r.prm')
          .orderBy('r.day')
          .orderBy('r.register')
          .limit(batchSize)
          .execute();
        for (const r of rows)
          yield {
            prm: r.prm,
            day: r.day,
            register: r.register,
            valueWh: Number(r.value_wh),
            iv: r.iv,
            storedAt: r.stored_at,
          };
        if (rows.length < batchSize) break;
        const last = rows[rows.length - 1]!;
        after = [last.prm, last.day, last.register];
      }
    }
  }

  /** PRM lists in key order and bounded chunks; `undefined` means "no list" (SIREN selection). */
  private *prmChunks(selection: PrmSelection): Generator<string[] | undefined> {
    if (!('prms' in selection)) {
      yield undefined;
      return;
    }
    const sorted = [...new Set(selection.prms)].sort();
    for (let i = 0; i < sorted.length; i += PRM_CHUNK) yield sorted.slice(i, i + PRM_CHUNK);
  }
}
