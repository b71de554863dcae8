import type { DataType, FileFormat, Frequency } from '../domain/catalog.js';
import type { Category } from '../domain/identifiers.js';
import type { FormatChange, FormatChangeCause } from '../domain/subscription-rules.js';
import type { Db } from './database.js';

export interface SubscriptionRecord {
  id: number;
  entrepriseId: number;
  siren: string;
  category: Category;
  dataType: DataType;
  frequency: Frequency;
  /** The latest requested format (what the grid shows); publications use `formatForWindow`. */
  format: FileFormat;
  idDemande: string;
  requestedAt: Date;
  effectiveAt: Date;
  endedAt: Date | null;
  requestedBy: string;
}

type SubscriptionRow = {
  id: number;
  entreprise_id: number;
  siren: string;
  category: string;
  data_type: string;
  frequency: string;
  format: string;
  id_demande: string;
  requested_at: string;
  effective_at: string;
  ended_at: string | null;
  requested_by: string;
};

function toRecord(row: SubscriptionRow): SubscriptionRecord {
  return {
    id: row.id,
    entrepriseId: row.entreprise_id,
    siren: row.siren,
    category: row.category as Category,
    dataType: row.data_type as DataType,
    frequency: row.frequency as Frequency,
    format: row.format as FileFormat,
    idDemande: row.id_demande,
    requestedAt: new Date(row.requested_at),
    effectiveAt: new Date(row.effective_at),
    endedAt: row.ended_at === null ? null : new Date(row.ended_at),
    requestedBy: row.requested_by,
  };
}

/** Subscriptions and their format history. Ended subscriptions stay (history, publications). */
export class SubscriptionRepository {
  constructor(private readonly db: Db) {}

  async find(id: number): Promise<SubscriptionRecord | undefined> {
    const row = await this.db.selectFrom('subscription').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toRecord(row);
  }

  /** Scoped lookup: a subscription of another entreprise is simply not found. */
  async findInEntreprise(entrepriseId: number, id: number): Promise<SubscriptionRecord | undefined> {
    const row = await this.db
      .selectFrom('subscription')
      .selectAll()
      .where('id', '=', id)
      .where('entreprise_id', '=', entrepriseId)
      .executeTakeFirst();
    return row && toRecord(row);
  }

  /** Live (not ended) subscriptions of a SIREN and category. */
  async listLive(siren: string, category: Category): Promise<SubscriptionRecord[]> {
    const rows = await this.db
      .selectFrom('subscription')
      .selectAll()
      .where('siren', '=', siren)
      .where('category', '=', category)
      .where('ended_at', 'is', null)
      .orderBy('id')
      .execute();
    return rows.map(toRecord);
  }

  /**
   * Live subscriptions of several SIRENs in one query, ordered as `listLive` called for each SIREN in
   * `sirens` order and each category in `categories` order would give them.
   */
  async listLiveOfSirens(
    sirens: readonly string[],
    categories: readonly Category[],
  ): Promise<SubscriptionRecord[]> {
    if (sirens.length === 0 || categories.length === 0) return [];
    const rows = await this.db
      .selectFrom('subscription')
      .selectAll()
      .where('siren', 'in', [...sirens])
      .where('category', 'in', [...categories])
      .where('ended_at', 'is', null)
      .orderBy('id')
      .execute();
    const rank = (record: SubscriptionRecord) =>
      sirens.indexOf(record.siren) * categories.length + categories.indexOf(record.category);
    // A stable sort keeps the id order within each (SIREN, category).
    return rows.map(toRecord).sort((a, b) => rank(a) - rank(b));
  }

  /** Several subscriptions by id in one query (ids not found are absent from the map). */
  async findMany(ids: readonly number[]): Promise<Map<number, SubscriptionRecord>> {
    if (ids.length === 0) return new Map();
    const rows = await this.db
      .selectFrom('subscription')
      .selectAll()
      .where('id', 'in', [...new Set(ids)])
      .execute();
    return new Map(rows.map((row) => [row.id, toRecord(row)]));
  }

  /** Every live subscription of every SIREN (for the publication scheduler). */
  async listAllLive(): Promise<SubscriptionRecord[]> {
    const rows = await this.db
      .selectFrom('subscription')
      .selectAll()
      .where('ended_at', 'is', null)
      .orderBy('id')
      .execute();
    return rows.map(toRecord);
  }

  /** Live CSV subscriptions, optionally of one SIREN: candidates of the 100-PRM switch. */
  async listLiveCsv(siren?: string): Promise<SubscriptionRecord[]> {
    let query = this.db
      .selectFrom('subscription')
      .selectAll()
      .where('ended_at', 'is', null)
      .where('format', '=', 'CSV');
    if (siren !== undefined) query = query.where('siren', '=', siren);
    const rows = await query.orderBy('id').execute();
    return rows.map(toRecord);
  }

  async insert(record: Omit<SubscriptionRecord, 'id' | 'endedAt'>): Promise<number> {
    const row = await this.db
      .insertInto('subscription')
      .values({
        entreprise_id: record.entrepriseId,
        siren: record.siren,
        category: record.category,
        data_type: record.dataType,
        frequency: record.frequency,
        format: record.format,
        id_demande: record.idDemande,
        requested_at: record.requestedAt.toISOString(),
        effective_at: record.effectiveAt.toISOString(),
        ended_at: null,
        requested_by: record.requestedBy,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await this.addFormatChange(row.id, { format: record.format, from: record.requestedAt, cause: 'INITIAL' });
    return row.id;
  }

  async end(id: number, at: Date): Promise<void> {
    await this.db
      .updateTable('subscription')
      .set({ ended_at: at.toISOString() })
      .where('id', '=', id)
      .where('ended_at', 'is', null)
      .execute();
  }

  /** Records a format change and makes it the subscription's current format. */
  async changeFormat(id: number, format: FileFormat, from: Date, cause: FormatChangeCause): Promise<void> {
    await this.db.updateTable('subscription').set({ format }).where('id', '=', id).execute();
    await this.addFormatChange(id, { format, from, cause });
  }

  /** Oldest first; feed it to `formatForWindow`. */
  async formatHistory(id: number): Promise<FormatChange[]> {
    const rows = await this.db
      .selectFrom('subscription_format_change')
      .selectAll()
      .where('subscription_id', '=', id)
      .orderBy('id')
      .execute();
    return rows.map((row) => ({
      format: row.format as FileFormat,
      from: new Date(row.from_at),
      cause: row.cause as FormatChangeCause,
    }));
  }

  private async addFormatChange(id: number, change: FormatChange): Promise<void> {
    await this.db
      .insertInto('subscription_format_change')
      .values({
        subscription_id: id,
        format: change.format,
        from_at: change.from.toISOString(),
        cause: change.cause,
      })
      .execute();
  }
}
