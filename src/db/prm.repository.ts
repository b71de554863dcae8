import type { Category, CurveStep, Segment } from '../domain/identifiers.js';
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

/** Metering points, their attachment to SIRENs over time, and (category B) curve-collection periods. */
export class PrmRepository {
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

  /** Curve-collection periods of several PRMs, by PRM, each list in start order. */
  async collectionPeriodsOfMany(
    prms: readonly string[],
  ): Promise<Map<string, Array<{ startDate: string; endDate: string | null }>>> {
    const periods = new Map<string, Array<{ startDate: string; endDate: string | null }>>();
    for (let i = 0; i < prms.length; i += 500) {
      const rows = await this.db
        .selectFrom('prm_curve_collection')
        .select(['prm', 'start_date', 'end_date'])
        .where('prm', 'in', prms.slice(i, i + 500))
        .orderBy('prm')
        .orderBy('start_date')
        .execute();
      for (const row of rows) {
        const list = periods.get(row.prm);
        const period = { startDate: row.start_date, endDate: row.end_date };
        if (list) list.push(period);
        else periods.set(row.prm, [period]);
      }
    }
    return periods;
  }

  async insert(record: PrmRecord, now: Date): Promise<void> {
    await this.db
      .insertInto('prm')
      .values({
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
      })
      .execute();
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
