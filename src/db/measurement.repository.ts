import type { Category } from '../domain/identifiers.js';
import type { Stage } from '../domain/point-quality.js';
import { decodeQualities, decodeValues, encodeQualities, encodeValues } from '../meterdata/vector-codec.js';
import {
  CompiledQuery,
  sql,
  type Compilable,
  type Expression,
  type ExpressionBuilder,
  type SqlBool,
} from 'kysely';
import { engineOf, type Db, type Engine } from './database.js';
import type { Schema } from './schema.js';

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

/**
 * A curve day as a publication reads it: the stored vectors of its version in the window (the stage
 * is the one asked for), with what the file needs of its PRM.
 */
export interface PublicationCurveDay extends Omit<CurveDay, 'stage'> {
  /** The PRM's declared step (`PT30M`…), published with each point. */
  prmStep: string;
  contractNumber: string;
}

/** Which PRMs a window read covers: an explicit list, or a SIREN's PRMs on the days they were attached. */
export type PrmSelection = { prms: readonly string[] } | { siren: string; category?: Category };

/** Batch sizes keep parameter counts under both engines' limits. */
const WRITE_BATCH = 400;
const PRM_CHUNK = 500;

/** Where a page of curve days in key order stops: (prm, day, quantity) of its last row. */
type CurvePosition = [string, string, string];
const curvePosition = (row: { prm: string; day: string; quantity: string }): CurvePosition => [
  row.prm,
  row.day,
  row.quantity,
];

/** The columns of a stored curve day (`CurveRow`). */
const CURVE_COLUMNS = [
  'c.prm',
  'c.day',
  'c.quantity',
  'c.stage',
  'c.step_minutes',
  'c.vals',
  'c.qualities',
  'c.stored_at',
] as const;

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

/**
 * Pages of up to `batchSize` rows in key order, each read after the key of the previous page's last
 * row (keyset pagination, never OFFSET). One row more than a page is asked for: it tells whether
 * another page follows, without a last query that finds nothing (it would probe the window again).
 */
async function* keysetPages<Row, Key>(
  read: (after: Key | undefined, limit: number) => Promise<Row[]>,
  keyOf: (row: Row) => Key,
  batchSize: number,
): AsyncGenerator<Row[]> {
  let after: Key | undefined;
  for (;;) {
    const rows = await read(after, batchSize + 1);
    const more = rows.length > batchSize;
    if (more) rows.pop();
    yield rows;
    if (!more) return;
    after = keyOf(rows[rows.length - 1]!);
  }
}

/** Rows per FETCH of a cursor: a round trip, not a scan, so pages are small and writing starts early. */
const CURSOR_FETCH = 500;

/**
 * The rows of one query, in pages of up to `pageSize`, through a PostgreSQL cursor in a read-only
 * transaction of its own: the query runs once (one scan and one sort of the window), however many
 * pages it has, and each page is a FETCH. The transaction ends with the stream, also when the
 * consumer stops early.
 */
async function* cursorPages<Row>(db: Db, query: Compilable<Row>, pageSize: number): AsyncGenerator<Row[]> {
  const size = Math.max(1, Math.floor(pageSize));
  const trx = await db.startTransaction().setAccessMode('read only').execute();
  try {
    // Planned as the plain query would be (all rows are read), not for the first 10 % of them.
    await trx.executeQuery(CompiledQuery.raw('set local cursor_tuple_fraction = 1'));
    const { sql: text, parameters } = query.compile();
    await trx.executeQuery(
      CompiledQuery.raw(`declare page_cursor no scroll cursor for ${text}`, [...parameters]),
    );
    const fetch = CompiledQuery.raw(`fetch forward ${size} from page_cursor`);
    for (;;) {
      const { rows } = await trx.executeQuery<Row>(fetch);
      if (rows.length > 0) yield rows;
      if (rows.length < size) return;
    }
  } finally {
    // Read-only: ending it either way changes nothing; a failure can only be the connection's.
    await trx
      .rollback()
      .execute()
      .catch(() => undefined);
  }
}

/** A curve day (`c`) on which its PRM's curve collection was on. */
function collectedOnDay({ exists, selectFrom }: ExpressionBuilder<Schema & { c: Schema['curve_day'] }, 'c'>) {
  return exists(
    selectFrom('prm_curve_collection as cc')
      .select('cc.prm')
      .whereRef('cc.prm', '=', 'c.prm')
      .whereRef('cc.start_date', '<=', 'c.day')
      .where((eb) => eb.or([eb('cc.end_date', 'is', null), eb('cc.end_date', '>', eb.ref('c.day'))])),
  );
}

function toCurveKey(row: CurveRow): CurveKey {
  return { prm: row.prm, day: row.day, quantity: row.quantity as Quantity, stage: row.stage as Stage };
}

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

/** The key of a curve day: its versions share it and differ by `stored_at`. */
export type CurveKey = Pick<CurveDay, 'prm' | 'day' | 'quantity' | 'stage'>;

type IndexRow = {
  prm: string;
  day: string;
  register: string;
  value_wh: number;
  iv: number | null;
  stored_at: string;
};

const curveKeyOf = (k: { prm: string; day: string; quantity: string; stage: string }) =>
  `${k.prm}|${k.day}|${k.quantity}|${k.stage}`;
const indexKeyOf = (k: { prm: string; day: string; register: string }) => `${k.prm}|${k.day}|${k.register}`;

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}

function sameCurve(stored: CurveRow, row: CurveRow): boolean {
  return (
    stored.step_minutes === row.step_minutes &&
    sameBytes(stored.vals, row.vals) &&
    sameBytes(stored.qualities, row.qualities)
  );
}

function sameReading(stored: IndexRow, row: IndexRow): boolean {
  return Number(stored.value_wh) === row.value_wh && (stored.iv ?? null) === (row.iv ?? null);
}

/** Rows of a batch by key, the last one winning when a key is given twice. */
function byKey<T>(rows: readonly T[], keyOf: (row: T) => string): Map<string, T> {
  return new Map(rows.map((row) => [keyOf(row), row]));
}

function distinct(values: Iterable<string>): string[] {
  return [...new Set(values)];
}

/** A versioned table of the store: its name, the key columns besides `prm` and `day`, equal content. */
interface VersionedTableSpec<Row> {
  table: 'curve_day' | 'index_reading';
  keyColumns: ReadonlyArray<keyof Row & string>;
  keyOf(row: Row): string;
  same(stored: Row, row: Row): boolean;
}

/**
 * Conditions selecting rows with one of the given keys: one per (prm, other key columns) with its days
 * in a list, each an index range (a long OR of keys is slow to plan and run).
 */
function keyGroups<Row extends { prm: string; day: string }>(
  spec: VersionedTableSpec<Row>,
  keys: readonly Row[],
): Array<(eb: ExpressionBuilder<Schema, 'curve_day' | 'index_reading'>) => Expression<SqlBool>> {
  const groups = new Map<string, { fixed: Array<[string, unknown]>; days: string[] }>();
  for (const k of keys) {
    const fixed: Array<[string, unknown]> = [
      ['prm', k.prm],
      ...spec.keyColumns.map((c): [string, unknown] => [c, k[c]]),
    ];
    const id = fixed.map(([, v]) => String(v)).join('|');
    const group = groups.get(id);
    if (group) group.days.push(k.day);
    else groups.set(id, { fixed, days: [k.day] });
  }
  return [...groups.values()].map(
    (g) => (eb) =>
      eb.and([...g.fixed.map(([c, v]) => eb(sql.ref(c), '=', v)), eb(sql.ref('day'), 'in', g.days)]),
  );
}

/** The storage operations `writeVersions` needs, over one versioned table. */
function versionedTable<Row extends { prm: string; day: string; stored_at: string }>(
  db: Db,
  spec: VersionedTableSpec<Row>,
): VersionedTable<Row> {
  // Both tables share `prm`, `day`, `stored_at` and `superseded_at`; the other key columns are named by the spec.
  const table = spec.table;
  return {
    keyOf: spec.keyOf,
    same: spec.same,
    latest: async (keys) => {
      const wanted = new Set(keys.map(spec.keyOf));
      const rows = (await db
        .selectFrom(table)
        .selectAll()
        .where('prm', 'in', distinct(keys.map((k) => k.prm)))
        .where('day', 'in', distinct(keys.map((k) => k.day)))
        .where('superseded_at', 'is', null)
        .execute()) as unknown as Row[];
      return new Map(rows.filter((r) => wanted.has(spec.keyOf(r))).map((r) => [spec.keyOf(r), r]));
    },
    dropVersions: async (storedAt, rows) => {
      for (const keys of keyGroups(spec, rows)) {
        await db.deleteFrom(table).where('stored_at', '=', storedAt).where(keys).execute();
        await db
          .updateTable(table)
          .set({ superseded_at: null })
          .where('superseded_at', '=', storedAt)
          .where(keys)
          .execute();
      }
    },
    supersede: async (stamp, rows) => {
      for (const keys of keyGroups(spec, rows)) {
        await db
          .updateTable(table)
          .set({ superseded_at: stamp })
          .where('superseded_at', 'is', null)
          .where(keys)
          .execute();
      }
    },
    insert: async (rows) => {
      await db
        .insertInto(table)
        .values(rows as never)
        .execute();
    },
  };
}

/** Rows grouped by their `stored_at` (one group, unless a clock stepped back for some keys). */
function byStamp<T extends { stored_at: string }>(rows: readonly T[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const group = groups.get(row.stored_at);
    if (group) group.push(row);
    else groups.set(row.stored_at, [row]);
  }
  return groups;
}

/** A version stamp strictly after `instant` (a clock that stepped back must not reorder versions). */
function after(instant: string): string {
  return new Date(Date.parse(instant) + 1).toISOString();
}

/** The table-specific steps of a versioned write (`writeVersions`), for `curve_day` and `index_reading`. */
interface VersionedTable<Row extends { stored_at: string }> {
  keyOf(row: Row): string;
  same(stored: Row, row: Row): boolean;
  /** Latest stored version of each row's key (keys absent from the store are absent from the map). */
  latest(rows: readonly Row[]): Promise<Map<string, Row>>;
  /** Deletes the versions of these keys stamped `storedAt` and makes the version before them the latest. */
  dropVersions(storedAt: string, rows: readonly Row[]): Promise<void>;
  /** Marks the latest version of these keys superseded at `stamp`. */
  supersede(stamp: string, rows: readonly Row[]): Promise<void>;
  insert(rows: readonly Row[]): Promise<void>;
}

/**
 * Writes one batch of rows (by key, all stamped `storedAt`) as new versions where their content differs
 * from the latest stored one. A version already stamped `storedAt` is replaced: the last write of an
 * instant wins. Returns the rows whose key's latest content changed.
 */
async function writeVersions<Row extends { stored_at: string }>(
  table: VersionedTable<Row>,
  batch: ReadonlyMap<string, Row>,
  storedAt: string,
): Promise<Row[]> {
  const changed: Row[] = [];
  const latest = await table.latest([...batch.values()]);
  const replaced = [...batch.values()].filter((row) => {
    const stored = latest.get(table.keyOf(row));
    return stored?.stored_at === storedAt && !table.same(stored, row);
  });
  if (replaced.length > 0) {
    await table.dropVersions(storedAt, replaced);
    const previous = await table.latest(replaced);
    for (const row of replaced) {
      const key = table.keyOf(row);
      const before = previous.get(key);
      if (before) latest.set(key, before);
      else latest.delete(key);
      // Back to the previous content: the replaced version is gone, which is a change.
      if (before && table.same(before, row)) changed.push(row);
    }
  }
  const inserts: Row[] = [];
  const superseded: Row[] = [];
  for (const [key, row] of batch) {
    const stored = latest.get(key);
    if (stored && table.same(stored, row)) continue;
    if (stored) {
      if (stored.stored_at >= row.stored_at) row.stored_at = after(stored.stored_at);
      superseded.push(row);
    }
    inserts.push(row);
  }
  // Before the insert: the unique "latest" index admits one row with a null superseded_at per key.
  for (const [stamp, rows] of byStamp(superseded)) await table.supersede(stamp, rows);
  if (inserts.length > 0) {
    await table.insert(inserts);
    changed.push(...inserts);
  }
  return changed;
}

/**
 * Measurements store: PRM-day curve vectors and daily index readings. Versions are immutable rows
 * keyed by their `stored_at`; `superseded_at` is the `stored_at` of the next version (null for the
 * latest, unique per key). A write adds a version only when the content differs from the latest one,
 * so an ended publication window always selects the same rows. Current reads return the latest
 * version of each key; window reads the latest version stored inside the window.
 */
export class MeasurementRepository {
  /** Chooses how the publication's read pages (`streamPublicationCurvePages`). */
  private readonly engine: Engine;

  private readonly curveTable: VersionedTable<CurveRow>;
  private readonly indexTable: VersionedTable<IndexRow>;

  constructor(private readonly db: Db) {
    this.engine = engineOf(db);
    this.curveTable = versionedTable<CurveRow>(db, {
      table: 'curve_day',
      keyColumns: ['quantity', 'stage'],
      keyOf: curveKeyOf,
      same: sameCurve,
    });
    this.indexTable = versionedTable<IndexRow>(db, {
      table: 'index_reading',
      keyColumns: ['register'],
      keyOf: indexKeyOf,
      same: sameReading,
    });
  }

  /**
   * Stores curve days as new versions (stamped `now`) where their content differs from the latest
   * stored version; identical content adds nothing. A version already stamped `now` (written earlier
   * in the same instant, so in no ended window) is replaced: the last write of an instant wins.
   * Returns the keys whose latest content changed.
   */
  async upsertCurveDays(days: readonly CurveDay[], now: Date): Promise<CurveKey[]> {
    const storedAt = now.toISOString();
    const changed: CurveKey[] = [];
    for (let i = 0; i < days.length; i += WRITE_BATCH) {
      const batch = byKey(
        days.slice(i, i + WRITE_BATCH).map((d): CurveRow => ({
          prm: d.prm,
          day: d.day,
          quantity: d.quantity,
          stage: d.stage,
          step_minutes: d.stepMinutes,
          vals: encodeValues(d.values),
          qualities: encodeQualities(d.qualities),
          stored_at: storedAt,
        })),
        curveKeyOf,
      );
      for (const row of await writeVersions(this.curveTable, batch, storedAt)) changed.push(toCurveKey(row));
    }
    return changed;
  }

  /**
   * Stores index readings as new versions where their value or iv differs from the latest stored
   * version, like `upsertCurveDays`. Returns how many readings changed.
   */
  async upsertIndexReadings(readings: readonly IndexReading[], now: Date): Promise<number> {
    const storedAt = now.toISOString();
    let changed = 0;
    for (let i = 0; i < readings.length; i += WRITE_BATCH) {
      const batch = byKey(
        readings.slice(i, i + WRITE_BATCH).map((r): IndexRow => ({
          prm: r.prm,
          day: r.day,
          register: r.register,
          value_wh: r.valueWh,
          iv: r.iv,
          stored_at: storedAt,
        })),
        indexKeyOf,
      );
      changed += (await writeVersions(this.indexTable, batch, storedAt)).length;
    }
    return changed;
  }

  /** The latest version of a PRM's curves over local days `[fromDay, toDay)`, in (day, quantity) order. */
  async readCurves(
    prm: string,
    fromDay: string,
    toDay: string,
    filter: { stage?: Stage; quantity?: Quantity } = {},
  ): Promise<StoredCurveDay[]> {
    return this.readCurvesOfPrms([prm], fromDay, toDay, filter);
  }

  /**
   * The latest version of the curve days of several PRMs over local days `[fromDay, toDay)`, in
   * (prm, day, quantity, stage) order: one query per 500 PRMs.
   */
  async readCurvesOfPrms(
    prms: readonly string[],
    fromDay: string,
    toDay: string,
    filter: { stage?: Stage; quantity?: Quantity } = {},
  ): Promise<StoredCurveDay[]> {
    const out: StoredCurveDay[] = [];
    for (let i = 0; i < prms.length; i += PRM_CHUNK) {
      const chunk = prms.slice(i, i + PRM_CHUNK);
      let query = this.db
        .selectFrom('curve_day as c')
        .selectAll('c')
        .where('c.day', '>=', fromDay)
        .where('c.day', '<', toDay)
        .where('c.superseded_at', 'is', null);
      query = chunk.length === 1 ? query.where('c.prm', '=', chunk[0]!) : query.where('c.prm', 'in', chunk);
      if (filter.stage) query = query.where('c.stage', '=', filter.stage);
      if (filter.quantity) query = query.where('c.quantity', '=', filter.quantity);
      const rows = await query
        .orderBy('c.prm')
        .orderBy('c.day')
        .orderBy('c.quantity')
        .orderBy('c.stage')
        .execute();
      for (const row of rows) out.push(toCurveDay(row));
    }
    return out;
  }

  /** The latest version of one curve day. */
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
      .where('superseded_at', 'is', null)
      .executeTakeFirst();
    return row && toCurveDay(row);
  }

  /** The latest version of a PRM's index readings over local days `[fromDay, toDay)`, in (day, register) order. */
  async readIndex(prm: string, fromDay: string, toDay: string): Promise<StoredIndexReading[]> {
    return this.readIndexOfPrms([prm], fromDay, toDay);
  }

  /** Same as `readIndex` for several PRMs, in (prm, day, register) order: one query per 500 PRMs. */
  async readIndexOfPrms(
    prms: readonly string[],
    fromDay: string,
    toDay: string,
  ): Promise<StoredIndexReading[]> {
    const out: StoredIndexReading[] = [];
    for (let i = 0; i < prms.length; i += PRM_CHUNK) {
      const chunk = prms.slice(i, i + PRM_CHUNK);
      let query = this.db
        .selectFrom('index_reading as r')
        .selectAll('r')
        .where('r.day', '>=', fromDay)
        .where('r.day', '<', toDay)
        .where('r.superseded_at', 'is', null);
      query = chunk.length === 1 ? query.where('r.prm', '=', chunk[0]!) : query.where('r.prm', 'in', chunk);
      const rows = await query.orderBy('r.prm').orderBy('r.day').orderBy('r.register').execute();
      for (const r of rows) {
        out.push({
          prm: r.prm,
          day: r.day,
          register: r.register,
          valueWh: Number(r.value_wh),
          iv: r.iv,
          storedAt: r.stored_at,
        });
      }
    }
    return out;
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
   * The curve days stored in `[window.from, window.to)` for the selected PRMs, stage and quantities:
   * for each key its latest version stored inside the window (earlier ones it superseded there are
   * skipped, versions of other windows are invisible), in (prm, day, quantity) key order. The base of
   * the publication engine's read (`streamPublicationCurvePages`). It streams in batches of
   * `batchSize` rows with keyset pagination (never OFFSET, never a whole window in memory), each
   * batch one short query, so it is safe on a month of thousands of PRMs. With a SIREN
   * selection only days inside the PRM's attachment to that SIREN are returned (a former owner gets
   * nothing after the move).
   */
  async *streamCurveVersions(
    selection: PrmSelection,
    window: { from: Date; to: Date },
    filter: { stage: Stage; quantities: readonly Quantity[] },
    batchSize = 256,
  ): AsyncGenerator<StoredCurveDay> {
    for await (const page of this.streamCurveVersionPages(selection, window, filter, batchSize)) {
      yield* page;
    }
  }

  /** `streamCurveVersions` a page (up to `batchSize` rows) at a time. */
  async *streamCurveVersionPages(
    selection: PrmSelection,
    window: { from: Date; to: Date },
    filter: { stage: Stage; quantities: readonly Quantity[] },
    batchSize = 2000,
  ): AsyncGenerator<StoredCurveDay[]> {
    for (const prms of this.prmChunks(selection)) {
      const pages = keysetPages(
        (after, limit) => this.curveVersionPage(selection, prms, window, filter, after, limit),
        curvePosition,
        batchSize,
      );
      for await (const rows of pages) yield rows.map(toCurveDay);
    }
  }

  /**
   * The publication's read: the rows of `streamCurveVersionPages` for a SIREN's PRMs of one category,
   * each day with the facts a file needs of its PRM, read in the same query (no query per page for
   * them); with `collectedOnly`, only days on which the PRM's curve collection was on. Pages of up to
   * `batchSize` rows: on PostgreSQL FETCHes of one cursor (the window is scanned and sorted once, not
   * once per page), on SQLite keyset pages.
   */
  async *streamPublicationCurvePages(
    perimeter: { siren: string; category: Category; collectedOnly: boolean },
    window: { from: Date; to: Date },
    filter: { stage: Stage; quantities: readonly Quantity[] },
    batchSize: number,
  ): AsyncGenerator<PublicationCurveDay[]> {
    const query = (after: CurvePosition | undefined) => {
      // The category is checked on the joined PRM row, so the attachment's EXISTS needs no join.
      let rows = this.curveVersionQuery({ siren: perimeter.siren }, undefined, window, filter, after)
        .innerJoin('prm as p', 'p.prm', 'c.prm')
        .where('p.category', '=', perimeter.category);
      if (perimeter.collectedOnly) rows = rows.where(collectedOnDay);
      return (
        rows
          // Only what a file needs: each column is parsed on every row of the window.
          .select([
            'c.prm',
            'c.day',
            'c.quantity',
            'c.step_minutes',
            'c.vals',
            'c.qualities',
            'p.step as prm_step',
            'p.contract_number',
          ])
          .orderBy('c.prm')
          .orderBy('c.day')
          .orderBy('c.quantity')
      );
    };
    // PostgreSQL reads the window once through a cursor; SQLite, whose single connection a cursor
    // would hold, reads it in keyset pages.
    const pages =
      this.engine === 'postgres'
        ? cursorPages(this.db, query(undefined), Math.min(batchSize, CURSOR_FETCH))
        : keysetPages(
            (after: CurvePosition | undefined, limit) => query(after).limit(limit).execute(),
            curvePosition,
            batchSize,
          );
    for await (const rows of pages) {
      yield rows.map((row): PublicationCurveDay => ({
        prm: row.prm,
        day: row.day,
        quantity: row.quantity as Quantity,
        stepMinutes: row.step_minutes,
        values: decodeValues(row.vals),
        qualities: decodeQualities(row.qualities),
        prmStep: row.prm_step,
        contractNumber: row.contract_number,
      }));
    }
  }

  /**
   * Whether `streamCurveVersions` would yield anything, restricted (with `collectedOnly`) to days on
   * which the PRM's curve collection was on: one query that stops at the first row, instead of ordering
   * the window's rows.
   */
  async hasCurveVersions(
    selection: PrmSelection,
    window: { from: Date; to: Date },
    filter: { stage: Stage; quantities: readonly Quantity[] },
    collectedOnly: boolean,
  ): Promise<boolean> {
    for (const prms of this.prmChunks(selection)) {
      let query = this.curveVersionQuery(selection, prms, window, filter, undefined).select('c.prm');
      if (collectedOnly) query = query.where(collectedOnDay);
      if (await query.limit(1).executeTakeFirst()) return true;
    }
    return false;
  }

  private curveVersionPage(
    selection: PrmSelection,
    prms: string[] | undefined,
    window: { from: Date; to: Date },
    filter: { stage: Stage; quantities: readonly Quantity[] },
    after: CurvePosition | undefined,
    limit: number,
  ): Promise<CurveRow[]> {
    return this.curveVersionQuery(selection, prms, window, filter, after)
      .select(CURVE_COLUMNS)
      .orderBy('c.prm')
      .orderBy('c.day')
      .orderBy('c.quantity')
      .limit(limit)
      .execute();
  }

  /** The rows of `curveVersionPage`, before choosing columns and order. */
  private curveVersionQuery(
    selection: PrmSelection,
    prms: string[] | undefined,
    window: { from: Date; to: Date },
    filter: { stage: Stage; quantities: readonly Quantity[] },
    after: [string, string, string] | undefined,
  ) {
    let query = this.db
      .selectFrom('curve_day as c')
      .where('c.stored_at', '>=', window.from.toISOString())
      .where('c.stored_at', '<', window.to.toISOString())
      // The key's latest version inside the window: none stored after it before the window's end.
      .where((eb) =>
        eb.or([eb('c.superseded_at', 'is', null), eb('c.superseded_at', '>=', window.to.toISOString())]),
      )
      .where('c.stage', '=', filter.stage)
      .where('c.quantity', 'in', [...filter.quantities]);
    // PRMs before the page position are done: leaving them out keeps each page's probe short.
    const position = after?.[0];
    if (prms) query = query.where('c.prm', 'in', position ? prms.filter((p) => p >= position) : prms);
    if ('siren' in selection) {
      const { siren, category } = selection;
      // The category is checked inside the same EXISTS: as a separate IN (subquery) PostgreSQL
      // planned pages deep into a large window as a nested loop (hundreds of ms per page).
      query = query.where(({ exists, selectFrom }) => {
        let attached = selectFrom('prm_attachment as a')
          .select('a.id')
          .whereRef('a.prm', '=', 'c.prm')
          .where('a.siren', '=', siren)
          .whereRef('a.start_date', '<=', 'c.day')
          .where((eb) => eb.or([eb('a.end_date', 'is', null), eb('a.end_date', '>', eb.ref('c.day'))]));
        if (category)
          attached = attached.innerJoin('prm as p', 'p.prm', 'a.prm').where('p.category', '=', category);
        return exists(attached);
      });
    }
    if (after) {
      const [prm, day, quantity] = after;
      query = query.where((eb) =>
        eb(eb.refTuple('c.prm', 'c.day', 'c.quantity'), '>', eb.tuple(prm, day, quantity)),
      );
    }
    return query;
  }

  /**
   * The index readings stored in `[window.from, window.to)` for the selected PRMs, the latest version
   * of each key inside the window, in (prm, day, register) order, streamed with keyset pagination like
   * `streamCurveVersions`.
   */
  async *streamIndexVersions(
    selection: PrmSelection,
    window: { from: Date; to: Date },
    batchSize = 2000,
  ): AsyncGenerator<StoredIndexReading> {
    for (const prms of this.prmChunks(selection)) {
      const read = (after: [string, string, string] | undefined, limit: number) => {
        let query = this.db
          .selectFrom('index_reading as r')
          .select(['r.prm', 'r.day', 'r.register', 'r.value_wh', 'r.iv', 'r.stored_at'])
          .where('r.stored_at', '>=', window.from.toISOString())
          .where('r.stored_at', '<', window.to.toISOString())
          // The key's latest version inside the window: none stored after it before the window's end.
          .where((eb) =>
            eb.or([eb('r.superseded_at', 'is', null), eb('r.superseded_at', '>=', window.to.toISOString())]),
          );
        // PRMs before the page position are done: leaving them out keeps each page's probe short.
        const position = after?.[0];
        if (prms) query = query.where('r.prm', 'in', position ? prms.filter((p) => p >= position) : prms);
        if ('siren' in selection) {
          const { siren, category } = selection;
          // The category is checked inside the same EXISTS: as a separate IN (subquery) PostgreSQL
          // planned pages deep into a large window as a nested loop (hundreds of ms per page).
          query = query.where(({ exists, selectFrom }) => {
            let attached = selectFrom('prm_attachment as a')
              .select('a.id')
              .whereRef('a.prm', '=', 'r.prm')
              .where('a.siren', '=', siren)
              .whereRef('a.start_date', '<=', 'r.day')
              .where((eb) => eb.or([eb('a.end_date', 'is', null), eb('a.end_date', '>', eb.ref('r.day'))]));
            if (category)
              attached = attached.innerJoin('prm as p', 'p.prm', 'a.prm').where('p.category', '=', category);
            return exists(attached);
          });
        }
        if (after) {
          const [prm, day, register] = after;
          query = query.where((eb) =>
            eb(eb.refTuple('r.prm', 'r.day', 'r.register'), '>', eb.tuple(prm, day, register)),
          );
        }
        return query.orderBy('r.prm').orderBy('r.day').orderBy('r.register').limit(limit).execute();
      };
      const position = (r: { prm: string; day: string; register: string }) =>
        [r.prm, r.day, r.register] as [string, string, string];
      for await (const rows of keysetPages(read, position, batchSize)) {
        for (const r of rows)
          yield {
            prm: r.prm,
            day: r.day,
            register: r.register,
            valueWh: Number(r.value_wh),
            iv: r.iv,
            storedAt: r.stored_at,
          };
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
