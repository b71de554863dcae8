import { sql, type Selectable } from 'kysely';
import { engineOf, type Db, type Engine } from './database.js';
import type { PublicationRunTable } from './schema.js';

export type RunStatus = 'pending' | 'running' | 'done' | 'empty' | 'failed';

export interface PublicationRunRecord {
  id: number;
  subscriptionId: number;
  windowStart: Date;
  windowEnd: Date;
  /** 0 for the scheduled run of a window; 1, 2, … for rebuilds asked later. */
  rebuild: number;
  status: RunStatus;
  format: 'CSV' | 'JSON';
  /** Null for a window with nothing collected (no file). */
  numSequence: number | null;
  horodate: Date;
  attempts: number;
  leaseOwner: string | null;
  leaseExpiresAt: Date | null;
  lastError: string | null;
  requestedBy: string | null;
  createdAt: Date;
  completedAt: Date | null;
}

type RunRow = Selectable<PublicationRunTable>;

const toDate = (value: string | null) => (value === null ? null : new Date(value));

function toRecord(row: RunRow): PublicationRunRecord {
  return {
    id: row.id,
    subscriptionId: row.subscription_id,
    windowStart: new Date(row.window_start),
    windowEnd: new Date(row.window_end),
    rebuild: row.rebuild,
    status: row.status as RunStatus,
    format: row.format as 'CSV' | 'JSON',
    numSequence: row.num_sequence,
    horodate: new Date(row.horodate),
    attempts: row.attempts,
    leaseOwner: row.lease_owner,
    leaseExpiresAt: toDate(row.lease_expires_at),
    lastError: row.last_error,
    requestedBy: row.requested_by,
    createdAt: new Date(row.created_at),
    completedAt: toDate(row.completed_at),
  };
}

export interface NewRun {
  subscriptionId: number;
  windowStart: Date;
  windowEnd: Date;
  rebuild: number;
  status: 'pending' | 'empty';
  format: 'CSV' | 'JSON';
  numSequence: number | null;
  horodate: Date;
  requestedBy: string | null;
  createdAt: Date;
}

function toRow(run: NewRun) {
  return {
    subscription_id: run.subscriptionId,
    window_start: run.windowStart.toISOString(),
    window_end: run.windowEnd.toISOString(),
    rebuild: run.rebuild,
    status: run.status,
    format: run.format,
    num_sequence: run.numSequence,
    horodate: run.horodate.toISOString(),
    attempts: 0,
    requested_by: run.requestedBy,
    created_at: run.createdAt.toISOString(),
    completed_at: run.status === 'empty' ? run.createdAt.toISOString() : null,
  };
}

/** Publication runs: the scheduler's bookkeeping and the workers' queue (claims with leases). */
export class PublicationRunRepository {
  private readonly engine: Engine;

  constructor(private readonly db: Db) {
    this.engine = engineOf(db);
  }

  async find(id: number): Promise<PublicationRunRecord | undefined> {
    const row = await this.db
      .selectFrom('publication_run')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row && toRecord(row);
  }

  /**
   * Inserts runs in a few statements; a run whose (subscription, window, rebuild) exists already fails
   * the whole insert (a unique-constraint error), so that numbers are never skipped.
   */
  async insertMany(runs: readonly NewRun[]): Promise<void> {
    // 500 rows × 12 values stays under SQLite's 32 766 bound parameters.
    for (let from = 0; from < runs.length; from += 500) {
      await this.db
        .insertInto('publication_run')
        .values(runs.slice(from, from + 500).map(toRow))
        .execute();
    }
  }

  /** Inserts a run unless its (subscription, window, rebuild) already exists; returns its id or undefined. */
  async insertIfAbsent(run: NewRun): Promise<number | undefined> {
    const row = await this.db
      .insertInto('publication_run')
      .values(toRow(run))
      .onConflict((oc) => oc.columns(['subscription_id', 'window_start', 'rebuild']).doNothing())
      .returning('id')
      .executeTakeFirst();
    return row?.id;
  }

  /** Start of the latest scheduled (non-rebuild) window of a subscription: the scheduler's frontier. */
  async latestScheduledWindow(subscriptionId: number): Promise<Date | undefined> {
    const row = await this.db
      .selectFrom('publication_run')
      .select((eb) => eb.fn.max('window_start').as('start'))
      .where('subscription_id', '=', subscriptionId)
      .where('rebuild', '=', 0)
      .executeTakeFirst();
    return row?.start ? new Date(row.start) : undefined;
  }

  async maxSequence(subscriptionId: number): Promise<number> {
    const row = await this.db
      .selectFrom('publication_run')
      .select((eb) => eb.fn.max('num_sequence').as('n'))
      .where('subscription_id', '=', subscriptionId)
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /**
   * The horodate for a new run of a subscription: `now` to the second, or one second after the
   * subscription's latest run when that is not earlier — archive names hold the horodate, so two files
   * of one subscription must never share it (runs created in one catch-up pass would).
   */
  async nextHorodate(subscriptionId: number, now: Date): Promise<Date> {
    const row = await this.db
      .selectFrom('publication_run')
      .select((eb) => eb.fn.max('horodate').as('h'))
      .where('subscription_id', '=', subscriptionId)
      .executeTakeFirst();
    const second = Math.floor(now.getTime() / 1000) * 1000;
    const last = row?.h ? new Date(row.h).getTime() : -Infinity;
    return new Date(Math.max(second, last + 1000));
  }

  async maxRebuild(subscriptionId: number, windowStart: Date): Promise<number | undefined> {
    const row = await this.db
      .selectFrom('publication_run')
      .select((eb) => eb.fn.max('rebuild').as('n'))
      .where('subscription_id', '=', subscriptionId)
      .where('window_start', '=', windowStart.toISOString())
      .executeTakeFirst();
    return row?.n === null || row?.n === undefined ? undefined : Number(row.n);
  }

  /**
   * Claims the oldest runnable run: pending and not held back, or running with an expired lease (its
   * worker died). PostgreSQL: `FOR UPDATE SKIP LOCKED`, so concurrent workers take different runs;
   * SQLite: the write transaction serialises claims.
   */
  async claimNext(
    owner: string,
    now: Date,
    leaseMs: number,
    onlyRunId?: number,
  ): Promise<PublicationRunRecord | undefined> {
    return this.db.transaction().execute(async (trx) => {
      const nowIso = now.toISOString();
      let query = trx
        .selectFrom('publication_run')
        .select('id')
        .where((eb) =>
          eb.or([
            eb.and([
              eb('status', '=', 'pending'),
              eb.or([eb('lease_expires_at', 'is', null), eb('lease_expires_at', '<=', nowIso)]),
            ]),
            eb.and([eb('status', '=', 'running'), eb('lease_expires_at', '<=', nowIso)]),
          ]),
        )
        .orderBy('window_start')
        .orderBy('id')
        .limit(1);
      if (onlyRunId !== undefined) query = query.where('id', '=', onlyRunId);
      if (this.engine === 'postgres') query = query.forUpdate().skipLocked();
      const candidate = await query.executeTakeFirst();
      if (!candidate) return undefined;
      const updated = await trx
        .updateTable('publication_run')
        .set({
          status: 'running',
          lease_owner: owner,
          lease_expires_at: new Date(now.getTime() + leaseMs).toISOString(),
          attempts: sql<number>`attempts + 1`,
        })
        .where('id', '=', candidate.id)
        .returningAll()
        .executeTakeFirstOrThrow();
      return toRecord(updated);
    });
  }

  /** Extends the lease of a run this owner still holds; false when it was lost. */
  async extendLease(id: number, owner: string, until: Date): Promise<boolean> {
    const result = await this.db
      .updateTable('publication_run')
      .set({ lease_expires_at: until.toISOString() })
      .where('id', '=', id)
      .where('lease_owner', '=', owner)
      .where('status', '=', 'running')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /**
   * Gives back a run this owner holds and did not finish because its process is stopping: pending,
   * claimable at once, the attempt not counted (it did not fail). False when the run was not held.
   */
  async giveBack(id: number, owner: string): Promise<boolean> {
    const result = await this.db
      .updateTable('publication_run')
      .set({
        status: 'pending',
        lease_owner: null,
        lease_expires_at: null,
        attempts: sql<number>`attempts - 1`,
      })
      .where('id', '=', id)
      .where('lease_owner', '=', owner)
      .where('status', '=', 'running')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Marks the run done if this owner still holds it; false otherwise (someone else finished it). */
  async complete(id: number, owner: string, now: Date): Promise<boolean> {
    const result = await this.db
      .updateTable('publication_run')
      .set({
        status: 'done',
        completed_at: now.toISOString(),
        lease_owner: null,
        lease_expires_at: null,
        last_error: null,
      })
      .where('id', '=', id)
      .where('lease_owner', '=', owner)
      .where('status', '=', 'running')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /**
   * Gives a failed attempt back to the queue after `retryAt`, or marks it failed for good; false when
   * this owner no longer held the run (nothing changed).
   */
  async release(id: number, owner: string, error: string, retryAt: Date | null): Promise<boolean> {
    const result = await this.db
      .updateTable('publication_run')
      .set({
        status: retryAt === null ? 'failed' : 'pending',
        lease_owner: null,
        lease_expires_at: retryAt === null ? null : retryAt.toISOString(),
        last_error: error.slice(0, 2000),
      })
      .where('id', '=', id)
      .where('lease_owner', '=', owner)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /**
   * Runs in trouble, oldest window first: `failing` = not done after at least `fastAttempts` attempts
   * (still retried hourly), `failed` = given up (they can never succeed).
   */
  async listInTrouble(status: 'failing' | 'failed', fastAttempts: number): Promise<PublicationRunRecord[]> {
    let query = this.db.selectFrom('publication_run').selectAll();
    query =
      status === 'failed'
        ? query.where('status', '=', 'failed')
        : query.where('status', 'in', ['pending', 'running']).where('attempts', '>=', fastAttempts);
    const rows = await query.orderBy('window_start').orderBy('id').limit(1000).execute();
    return rows.map(toRecord);
  }

  /**
   * Makes a pending or failed run claimable now, keeping its identity and attempts; false when it is
   * done, empty or held by a live worker.
   */
  async makeRunnableNow(id: number, now: Date): Promise<boolean> {
    const result = await this.db
      .updateTable('publication_run')
      .set({ status: 'pending', lease_owner: null, lease_expires_at: null })
      .where('id', '=', id)
      .where((eb) =>
        eb.or([
          eb('status', 'in', ['pending', 'failed']),
          eb.and([eb('status', '=', 'running'), eb('lease_expires_at', '<=', now.toISOString())]),
        ]),
      )
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async listForSubscription(subscriptionId: number): Promise<PublicationRunRecord[]> {
    const rows = await this.db
      .selectFrom('publication_run')
      .selectAll()
      .where('subscription_id', '=', subscriptionId)
      .orderBy('window_start')
      .orderBy('rebuild')
      .execute();
    return rows.map(toRecord);
  }
}
