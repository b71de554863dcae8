import { sql, type Selectable } from 'kysely';
import { engineOf, type Db, type Engine } from './database.js';
import type { SubscriptionTable } from './schema.js';

/** `next_due_at` of a subscription that will never have another window (it ended before it). */
export const NEVER_DUE = '9999-12-31T23:59:59.999Z';

/** The columns of a subscription that scheduling and publishing read. */
export const SCHEDULING_COLUMNS = [
  'id',
  'entreprise_id',
  'siren',
  'category',
  'data_type',
  'frequency',
  'id_demande',
  'effective_at',
  'ended_at',
] as const;

export type SchedulingRow = Pick<Selectable<SubscriptionTable>, (typeof SCHEDULING_COLUMNS)[number]>;

export type DueSubscriptionRow = SchedulingRow & { next_due_at: string | null };

/**
 * The scheduler's frontier: per subscription, when its next window to schedule ends. A pass reads
 * only the subscriptions due now (index `subscription_next_due_idx`); creating a subscription's runs
 * and moving its frontier happen in one transaction holding the subscription's row.
 */
export class ScheduleRepository {
  private readonly engine: Engine;

  constructor(private readonly db: Db) {
    this.engine = engineOf(db);
  }

  /** Subscriptions with a window ended at `now` (or never scheduled), by id after `afterId`. */
  async listDue(now: Date, afterId: number, limit: number): Promise<DueSubscriptionRow[]> {
    const at = now.toISOString();
    return this.db
      .selectFrom('subscription')
      .select([...SCHEDULING_COLUMNS, 'next_due_at'])
      .where((eb) => eb.or([eb('next_due_at', 'is', null), eb('next_due_at', '<=', at)]))
      .where('effective_at', '<=', at)
      .where('id', '>', afterId)
      .orderBy('id')
      .limit(limit)
      .execute();
  }

  /**
   * Inside a transaction: takes the subscription's row for this transaction and returns its frontier,
   * or `undefined` when another scheduler holds it now (PostgreSQL; SQLite has one writer at a time).
   */
  async lockFrontier(id: number): Promise<{ nextDueAt: string | null } | undefined> {
    if (this.engine === 'postgres') {
      const { rows } = await sql<{
        next_due_at: string | null;
      }>`select next_due_at from subscription where id = ${id} for update skip locked`.execute(this.db);
      return rows[0] && { nextDueAt: rows[0].next_due_at };
    }
    const row = await this.db
      .selectFrom('subscription')
      .select('next_due_at')
      .where('id', '=', id)
      .executeTakeFirst();
    return row && { nextDueAt: row.next_due_at };
  }

  async setNextDue(id: number, at: Date | 'never'): Promise<void> {
    await this.db
      .updateTable('subscription')
      .set({ next_due_at: at === 'never' ? NEVER_DUE : at.toISOString() })
      .where('id', '=', id)
      .execute();
  }
}
