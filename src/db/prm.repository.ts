import { isPrm, type Category, type CurveStep, type Segment } from '../domain/identifiers.js';
import { sql } from 'kysely';
import type { Db } from './database.js';

export interface PrmRecord {
  prm: string;
  segment: Segment;
  category: Category;
  kva: number;
  step: CurveStep;
  contractNumber: string;
  label: string;
  distributorCalendar: string;
  supplierCalendar: string | null;
}

export interface Attachment {
  id: number;
  prm: string;
  siren: string;
  /** First local day attached (inclusive). */
  startDate: string;
  /** First local day no longer attached (exclusive), null while attached. */
  endDate: string | null;
}

/** An attachment with the entreprise its SIREN belongs to. */
export interface EntrepriseAttachment {
  siren: string;
  entrepriseId: number;
  /** First local day attached (inclusive). */
  startDate: string;
  /** First local day no longer attached (exclusive), null while attached. */
  endDate: string | null;
}

type PrmRow = {
  prm: string;
  segment: string;
  category: string;
  kva: number;
  step: string;
  contract_number: string;
  label: string;
  distributor_calendar: string;
  supplier_calendar: string | null;
};

function toRecord(row: PrmRow): PrmRecord {
  return {
    prm: row.prm,
    segment: row.segment as Segment,
    category: row.category as Category,
    kva: row.kva,
    step: row.step as CurveStep,
    contractNumber: row.contract_number,
    label: row.label,
    distributorCalendar: row.distributor_calendar,
    supplierCalendar: row.supplier_calendar,
  };
}

/** Items of rows keyed by PRM, grouped by PRM in the rows' order. */
function groupByPrm<R extends { prm: string }, T>(rows: readonly R[], item: (row: R) => T): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const list = groups.get(row.prm);
    if (list) list.push(item(row));
    else groups.set(row.prm, [item(row)]);
  }
  return groups;
}

/** The `prm` row of a new PRM. */
function prmRow(record: PrmRecord, now: Date) {
  return {
    prm: record.prm,
    segment: record.segment,
    category: record.category,
    kva: record.kva,
    step: record.step,
    contract_number: record.contractNumber,
    label: record.label,
    distributor_calendar: record.distributorCalendar,
    supplier_calendar: record.supplierCalendar,
    created_at: now.toISOString(),
    updated_at: now.toISOString(),
  };
}

/** Metering points, their attachment to SIRENs over time, and (category B) curve-collection periods. */
export class PrmRepository {
  /** Keys per `in (…)` lookup and rows per multi-row statement: far below either engine's parameter limit. */
  private static readonly BATCH = 1000;
  /** Rows a key range may hold per PRM asked before the PRMs themselves are asked (`rowsOfPrms`). */
  private static readonly RANGE_ROWS_PER_KEY = 4;

  constructor(private readonly db: Db) {}

  async find(prm: string): Promise<PrmRecord | undefined> {
    const row = await this.db.selectFrom('prm').selectAll().where('prm', '=', prm).executeTakeFirst();
    return row && toRecord(row);
  }

  /** Up to `limit` PRMs from `first` on, in PRM order (readers of sorted files load them ahead). */
  async findFrom(first: string, limit: number): Promise<PrmRecord[]> {
    const rows = await this.db
      .selectFrom('prm')
      .selectAll()
      .where('prm', '>=', first)
      .orderBy('prm')
      .limit(limit)
      .execute();
    return rows.map(toRecord);
  }

  /**
   * Attachments of the PRMs from `first` to `last` (both included), by PRM, each list in start order,
   * with the entreprise of each SIREN: one query for a batch of PRMs read by `findFrom`, whatever its size.
   */
  async attachmentsBetween(first: string, last: string): Promise<Map<string, EntrepriseAttachment[]>> {
    const rows = await this.db
      .selectFrom('prm_attachment as a')
      .innerJoin('siren as s', 's.siren', 'a.siren')
      .select(['a.prm', 'a.siren', 's.entreprise_id', 'a.start_date', 'a.end_date'])
      .where('a.prm', '>=', first)
      .where('a.prm', '<=', last)
      .orderBy('a.prm')
      .orderBy('a.start_date')
      .execute();
    return groupByPrm(rows, (row): EntrepriseAttachment => ({
      siren: row.siren,
      entrepriseId: row.entreprise_id,
      startDate: row.start_date,
      endDate: row.end_date,
    }));
  }

  /** The stored record of each PRM found among `prms`. */
  async findMany(prms: readonly string[]): Promise<Map<string, PrmRecord>> {
    const rows = await this.rowsOfPrms(
      prms,
      (first, last, limit) =>
        this.db
          .selectFrom('prm')
          .selectAll()
          .where('prm', '>=', first)
          .where('prm', '<=', last)
          .orderBy('prm')
          .limit(limit)
          .execute(),
      (keys) => this.db.selectFrom('prm').selectAll().where('prm', 'in', keys).execute(),
    );
    return new Map(rows.map((row) => [row.prm, toRecord(row)]));
  }

  /** Attachments of several PRMs, by PRM (PRMs without any left out), each list in start order. */
  async attachmentsByPrm(prms: readonly string[]): Promise<Map<string, Attachment[]>> {
    const rows = await this.rowsOfPrms(
      prms,
      (first, last, limit) =>
        this.db
          .selectFrom('prm_attachment')
          .selectAll()
          .where('prm', '>=', first)
          .where('prm', '<=', last)
          .orderBy('prm')
          .orderBy('start_date')
          .limit(limit)
          .execute(),
      (keys) =>
        this.db
          .selectFrom('prm_attachment')
          .selectAll()
          .where('prm', 'in', keys)
          .orderBy('prm')
          .orderBy('start_date')
          .execute(),
    );
    return groupByPrm(rows, (row): Attachment => ({
      id: row.id,
      prm: row.prm,
      siren: row.siren,
      startDate: row.start_date,
      endDate: row.end_date,
    }));
  }

  /** Curve-collection periods of several PRMs, by PRM (PRMs without any left out), each list in start order. */
  async collectionPeriodsByPrm(
    prms: readonly string[],
  ): Promise<Map<string, Array<{ startDate: string; endDate: string | null }>>> {
    const rows = await this.rowsOfPrms(
      prms,
      (first, last, limit) =>
        this.db
          .selectFrom('prm_curve_collection')
          .select(['prm', 'start_date', 'end_date'])
          .where('prm', '>=', first)
          .where('prm', '<=', last)
          .orderBy('prm')
          .orderBy('start_date')
          .limit(limit)
          .execute(),
      (keys) =>
        this.db
          .selectFrom('prm_curve_collection')
          .select(['prm', 'start_date', 'end_date'])
          .where('prm', 'in', keys)
          .orderBy('prm')
          .orderBy('start_date')
          .execute(),
    );
    return groupByPrm(rows, (row) => ({ startDate: row.start_date, endDate: row.end_date }));
  }

  /**
   * Rows of a table keyed by PRM for many PRMs, in key order. The PRMs are sorted and taken 1 000 at a
   * time; each slice is read as the key range from its first to its last PRM, ordered and limited, which
   * both engines run as one index range scan whatever the table's size (`prm in (…)` of 1 000 keys
   * makes PostgreSQL scan a table of a few 100 000 rows once per slice). Where the store holds many
   * more rows than the slice in that range (a few PRMs spread over a large registry), the slice's
   * keys are asked instead.
   */
  private async rowsOfPrms<R extends { prm: string }>(
    prms: readonly string[],
    byRange: (first: string, last: string, limit: number) => Promise<R[]>,
    byKeys: (keys: string[]) => Promise<R[]>,
  ): Promise<R[]> {
    const sorted = [...new Set(prms)].sort();
    const wanted = new Set(sorted);
    const rows: R[] = [];
    for (let i = 0; i < sorted.length; i += PrmRepository.BATCH) {
      const keys = sorted.slice(i, i + PrmRepository.BATCH);
      const limit = PrmRepository.RANGE_ROWS_PER_KEY * keys.length;
      // PRM numbers (14 digits) sort alike here and in any collation: the range holds every key between.
      let found = keys.every(isPrm) ? await byRange(keys[0]!, keys[keys.length - 1]!, limit + 1) : undefined;
      if (!found || found.length > limit) found = await byKeys(keys);
      for (const row of found) if (wanted.has(row.prm)) rows.push(row);
    }
    return rows;
  }

  /** Inserts new PRMs, many rows per statement. */
  async insertMany(records: readonly PrmRecord[], now: Date): Promise<void> {
    for (let i = 0; i < records.length; i += PrmRepository.BATCH) {
      await this.db
        .insertInto('prm')
        .values(records.slice(i, i + PrmRepository.BATCH).map((record) => prmRow(record, now)))
        .execute();
    }
  }

  /**
   * Rewrites the attributes of stored PRMs, one `update … from` a values list per batch of PRMs in key
   * order. The batch's key range bounds what PostgreSQL scans (it joins a values list of 1 000 rows by
   * hash, reading the whole table otherwise). The power is cast because PostgreSQL types an untyped
   * values column as text (SQLite reads the cast as REAL).
   */
  async updateMany(records: readonly PrmRecord[], now: Date): Promise<void> {
    const sorted = [...records].sort((a, b) => (a.prm < b.prm ? -1 : a.prm > b.prm ? 1 : 0));
    for (let i = 0; i < sorted.length; i += PrmRepository.BATCH) {
      const batch = sorted.slice(i, i + PrmRepository.BATCH);
      const values = batch.map(
        (r) =>
          sql`(${r.prm}, ${r.segment}, ${r.category}, cast(${r.kva} as double precision), ${r.step}, ${r.contractNumber}, ${r.label}, ${r.distributorCalendar}, ${r.supplierCalendar})`,
      );
      await this.db
        .with(
          'v(prm, segment, category, kva, step, contract_number, label, distributor_calendar, supplier_calendar)',
          () => sql<PrmRow>`(values ${sql.join(values)})`,
        )
        .updateTable('prm')
        .from('v')
        .set((eb) => ({
          segment: eb.ref('v.segment'),
          category: eb.ref('v.category'),
          kva: eb.ref('v.kva'),
          step: eb.ref('v.step'),
          contract_number: eb.ref('v.contract_number'),
          label: eb.ref('v.label'),
          distributor_calendar: eb.ref('v.distributor_calendar'),
          supplier_calendar: eb.ref('v.supplier_calendar'),
          updated_at: now.toISOString(),
        }))
        .whereRef('prm.prm', '=', 'v.prm')
        .where('prm.prm', '>=', batch[0]!.prm)
        .where('prm.prm', '<=', batch[batch.length - 1]!.prm)
        .execute();
    }
  }

  /** Inserts attachments, many rows per statement. */
  async insertAttachments(attachments: ReadonlyArray<Omit<Attachment, 'id'>>): Promise<void> {
    for (let i = 0; i < attachments.length; i += PrmRepository.BATCH) {
      await this.db
        .insertInto('prm_attachment')
        .values(
          attachments.slice(i, i + PrmRepository.BATCH).map((a) => ({
            prm: a.prm,
            siren: a.siren,
            start_date: a.startDate,
            end_date: a.endDate,
          })),
        )
        .execute();
    }
  }

  /** Sets the end of several attachments by id, one `update … from` a values list per batch of ids in order (see `updateMany`). */
  async setAttachmentEnds(changes: ReadonlyArray<{ id: number; endDate: string | null }>): Promise<void> {
    const sorted = [...changes].sort((a, b) => a.id - b.id);
    for (let i = 0; i < sorted.length; i += PrmRepository.BATCH) {
      const batch = sorted.slice(i, i + PrmRepository.BATCH);
      const values = batch.map((c) => sql`(cast(${c.id} as integer), ${c.endDate})`);
      await this.db
        .with(
          'v(id, end_date)',
          () => sql<{ id: number; end_date: string | null }>`(values ${sql.join(values)})`,
        )
        .updateTable('prm_attachment')
        .from('v')
        .set((eb) => ({ end_date: eb.ref('v.end_date') }))
        .whereRef('prm_attachment.id', '=', 'v.id')
        .where('prm_attachment.id', '>=', batch[0]!.id)
        .where('prm_attachment.id', '<=', batch[batch.length - 1]!.id)
        .execute();
    }
  }

  /** Inserts curve-collection periods, many rows per statement. */
  async insertCollectionPeriods(
    periods: ReadonlyArray<{ prm: string; startDate: string; endDate: string | null }>,
  ): Promise<void> {
    for (let i = 0; i < periods.length; i += PrmRepository.BATCH) {
      await this.db
        .insertInto('prm_curve_collection')
        .values(
          periods
            .slice(i, i + PrmRepository.BATCH)
            .map((p) => ({ prm: p.prm, start_date: p.startDate, end_date: p.endDate })),
        )
        .execute();
    }
  }

  async insert(record: PrmRecord, now: Date): Promise<void> {
    await this.db.insertInto('prm').values(prmRow(record, now)).execute();
  }

  async update(record: PrmRecord, now: Date): Promise<void> {
    await this.db
      .updateTable('prm')
      .set({
        segment: record.segment,
        category: record.category,
        kva: record.kva,
        step: record.step,
        contract_number: record.contractNumber,
        label: record.label,
        distributor_calendar: record.distributorCalendar,
        supplier_calendar: record.supplierCalendar,
        updated_at: now.toISOString(),
      })
      .where('prm', '=', record.prm)
      .execute();
  }

  async attachmentsOf(prm: string): Promise<Attachment[]> {
    const rows = await this.db
      .selectFrom('prm_attachment')
      .selectAll()
      .where('prm', '=', prm)
      .orderBy('start_date')
      .execute();
    return rows.map((row) => ({
      id: row.id,
      prm: row.prm,
      siren: row.siren,
      startDate: row.start_date,
      endDate: row.end_date,
    }));
  }

  async insertAttachment(attachment: Omit<Attachment, 'id'>): Promise<number> {
    const row = await this.db
      .insertInto('prm_attachment')
      .values({
        prm: attachment.prm,
        siren: attachment.siren,
        start_date: attachment.startDate,
        end_date: attachment.endDate,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  }

  async setAttachmentEnd(id: number, endDate: string | null): Promise<void> {
    await this.db.updateTable('prm_attachment').set({ end_date: endDate }).where('id', '=', id).execute();
  }

  /** PRMs attached to a SIREN on a local day, in PRM order. */
  async listAttachedOn(siren: string, day: string, category?: Category): Promise<PrmRecord[]> {
    let query = this.db
      .selectFrom('prm_attachment as a')
      .innerJoin('prm as p', 'p.prm', 'a.prm')
      .selectAll('p')
      .where('a.siren', '=', siren)
      .where('a.start_date', '<=', day)
      .where((eb) => eb.or([eb('a.end_date', 'is', null), eb('a.end_date', '>', day)]));
    if (category) query = query.where('p.category', '=', category);
    const rows = await query.orderBy('p.prm').execute();
    return rows.map(toRecord);
  }

  /** Number of PRMs of a SIREN and category attached on a local day (the 100-PRM format rule counts these). */
  async countAttachedOn(siren: string, category: Category, day: string): Promise<number> {
    const row = await this.db
      .selectFrom('prm_attachment as a')
      .innerJoin('prm as p', 'p.prm', 'a.prm')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('a.siren', '=', siren)
      .where('p.category', '=', category)
      .where('a.start_date', '<=', day)
      .where((eb) => eb.or([eb('a.end_date', 'is', null), eb('a.end_date', '>', day)]))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async collectionPeriodsOf(
    prm: string,
  ): Promise<Array<{ id: number; startDate: string; endDate: string | null }>> {
    const rows = await this.db
      .selectFrom('prm_curve_collection')
      .selectAll()
      .where('prm', '=', prm)
      .orderBy('start_date')
      .execute();
    return rows.map((row) => ({ id: row.id, startDate: row.start_date, endDate: row.end_date }));
  }

  async insertCollectionPeriod(prm: string, startDate: string, endDate: string | null): Promise<void> {
    await this.db
      .insertInto('prm_curve_collection')
      .values({ prm, start_date: startDate, end_date: endDate })
      .execute();
  }

  async setCollectionPeriodEnd(id: number, endDate: string | null): Promise<void> {
    await this.db
      .updateTable('prm_curve_collection')
      .set({ end_date: endDate })
      .where('id', '=', id)
      .execute();
  }

  /** Whether curve collection of a category B PRM was on for a local day. */
  async isCollectionOn(prm: string, day: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('prm_curve_collection')
      .select('id')
      .where('prm', '=', prm)
      .where('start_date', '<=', day)
      .where((eb) => eb.or([eb('end_date', 'is', null), eb('end_date', '>', day)]))
      .executeTakeFirst();
    return row !== undefined;
  }
}
