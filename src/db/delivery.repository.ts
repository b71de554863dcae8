import { sql, type Selectable, type Updateable } from 'kysely';
import { engineOf, type Db, type Engine } from './database.js';
import type { ChannelKind, DeliveryTable } from './schema.js';

export type DeliveryRow = Selectable<DeliveryTable>;

/**
 * Delivery rows and their leases. A row is due when it is `pending` and its next attempt has come, or
 * `delivering` with an expired lease (its worker died). Every state change after a claim is guarded by
 * the lease owner, so a worker that lost its lease cannot overwrite another's result.
 */
export class DeliveryRepository {
  private readonly engine: Engine;

  constructor(private readonly db: Db) {
    this.engine = engineOf(db);
  }

  /** One normal delivery per (publication, channel): a second call, or a second scheduler, adds nothing. */
  async createForPublication(
    publicationId: number,
    entrepriseId: number,
    channelIds: readonly number[],
    now: Date,
  ): Promise<void> {
    if (channelIds.length === 0) return;
    await this.db
      .insertInto('delivery')
      .values(
        channelIds.map((channelId) => ({
          publication_id: publicationId,
          channel_id: channelId,
          entreprise_id: entrepriseId,
          resend_seq: 0,
          status: 'pending' as const,
          attempts: 0,
          next_attempt_at: now.toISOString(),
          created_at: now.toISOString(),
        })),
      )
      .onConflict((oc) => oc.columns(['publication_id', 'channel_id', 'resend_seq']).doNothing())
      .execute();
  }

  /** A re-send is a new row with the next sequence number; retries on a concurrent insert. */
  async createResend(
    publicationId: number,
    entrepriseId: number,
    channelId: number,
    requestedBy: string,
    now: Date,
  ): Promise<number> {
    for (let attempt = 0; ; attempt++) {
      const last = await this.db
        .selectFrom('delivery')
        .select((eb) => eb.fn.max('resend_seq').as('seq'))
        .where('publication_id', '=', publicationId)
        .where('channel_id', '=', channelId)
        .executeTakeFirst();
      try {
        const row = await this.db
          .insertInto('delivery')
          .values({
            publication_id: publicationId,
            channel_id: channelId,
            entreprise_id: entrepriseId,
            resend_seq: Number(last?.seq ?? 0) + 1,
            status: 'pending',
            attempts: 0,
            next_attempt_at: now.toISOString(),
            requested_by: requestedBy,
            created_at: now.toISOString(),
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        return row.id;
      } catch (error) {
        if (attempt >= 5) throw error;
      }
    }
  }

  /**
   * Claims up to `limit` due rows for `owner` until `leaseUntil`, counting the attempt. PostgreSQL: the
   * due rows are locked in a CTE with `FOR UPDATE SKIP LOCKED` (a CTE runs once; an `IN (subquery …
   * LIMIT n)` may be re-evaluated and claim more than n), so concurrent workers take disjoint rows
   * without waiting. SQLite: one UPDATE … RETURNING statement, atomic under the database write lock.
   * Both re-check "still due" on the row they update.
   */
  async claimDue(owner: string, now: Date, leaseUntil: Date, limit: number): Promise<DeliveryRow[]> {
    const at = now.toISOString();
    const set = sql`
        status = 'delivering',
        lease_owner = ${owner},
        lease_expires_at = ${leaseUntil.toISOString()},
        attempts = attempts + 1,
        first_attempt_at = coalesce(first_attempt_at, ${at})`;
    const due = sql`((status = 'pending' and next_attempt_at <= ${at})
           or (status = 'delivering' and lease_expires_at <= ${at}))`;
    if (this.engine === 'postgres') {
      const result = await sql<DeliveryRow>`
        with claimable as (
          select id from delivery where ${due}
          order by next_attempt_at, id
          limit ${limit}
          for update skip locked
        )
        update delivery set ${set}
        from claimable
        where delivery.id = claimable.id
        returning delivery.*`.execute(this.db);
      return result.rows;
    }
    const result = await sql<DeliveryRow>`
      update delivery set ${set}
      where id in (select id from delivery where ${due} order by next_attempt_at, id limit ${limit})
        and ${due}
      returning *`.execute(this.db);
    return result.rows;
  }

  /**
   * Gives back claimed rows this owner has not finished because its process is stopping: pending and
   * due at once for any dispatcher, the claim's attempt not counted (nor its first-attempt instant,
   * when it was the first). Returns how many were still held.
   */
  async giveBack(ids: readonly number[], owner: string): Promise<number> {
    if (ids.length === 0) return 0;
    const result = await this.db
      .updateTable('delivery')
      .set({
        status: 'pending',
        lease_owner: null,
        lease_expires_at: null,
        attempts: sql<number>`attempts - 1`,
        first_attempt_at: sql<string | null>`case when attempts = 1 then null else first_attempt_at end`,
      })
      .where('id', 'in', [...ids])
      .where('status', '=', 'delivering')
      .where('lease_owner', '=', owner)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  /** True when this owner still held the lease and recorded the success. */
  async markDelivered(
    id: number,
    owner: string,
    result: { keyVersion: number; receipt: unknown },
    now: Date,
  ): Promise<boolean> {
    return this.endAttempt(id, owner, {
      status: 'delivered',
      delivered_at: now.toISOString(),
      key_version: result.keyVersion,
      receipt: JSON.stringify(result.receipt),
      last_error: null,
    });
  }

  async markRetry(
    id: number,
    owner: string,
    failure: { error: string; nextAttemptAt: Date; keyVersion: number | null },
  ): Promise<boolean> {
    return this.endAttempt(id, owner, {
      status: 'pending',
      last_error: failure.error,
      next_attempt_at: failure.nextAttemptAt.toISOString(),
      key_version: failure.keyVersion,
    });
  }

  async markFailed(id: number, owner: string, error: string, keyVersion: number | null): Promise<boolean> {
    return this.endAttempt(id, owner, { status: 'failed', last_error: error, key_version: keyVersion });
  }

  /** Records the outcome of an attempt and releases its lease, only if `owner` still holds it. */
  private async endAttempt(id: number, owner: string, outcome: Updateable<DeliveryTable>): Promise<boolean> {
    const updated = await this.db
      .updateTable('delivery')
      .set({ ...outcome, lease_owner: null, lease_expires_at: null })
      .where('id', '=', id)
      .where('status', '=', 'delivering')
      .where('lease_owner', '=', owner)
      .executeTakeFirst();
    return Number(updated.numUpdatedRows) === 1;
  }

  async findInEntreprise(entrepriseId: number, id: number): Promise<DeliveryRow | undefined> {
    return this.db
      .selectFrom('delivery')
      .selectAll()
      .where('id', '=', id)
      .where('entreprise_id', '=', entrepriseId)
      .executeTakeFirst();
  }

  async listForPublication(publicationId: number): Promise<DeliveryRow[]> {
    return this.db
      .selectFrom('delivery')
      .selectAll()
      .where('publication_id', '=', publicationId)
      .orderBy('id')
      .execute();
  }

  /**
   * The deliveries of several publications in one query, each publication's by id (as
   * `listForPublication`), publications in `publicationIds` order. Pages that list publications call
   * it once instead of once per row.
   */
  async listForPublications(publicationIds: readonly number[]): Promise<Map<number, DeliveryRow[]>> {
    const byPublication = new Map<number, DeliveryRow[]>(publicationIds.map((id) => [id, []]));
    if (publicationIds.length === 0) return byPublication;
    const rows = await this.db
      .selectFrom('delivery')
      .selectAll()
      .where('publication_id', 'in', [...new Set(publicationIds)])
      .orderBy('id')
      .execute();
    for (const row of rows) byPublication.get(row.publication_id)?.push(row);
    return byPublication;
  }

  async listForEntreprise(
    entrepriseId: number,
    options: { status?: DeliveryRow['status']; limit?: number; offset?: number } = {},
  ): Promise<DeliveryRow[]> {
    let query = this.db.selectFrom('delivery').selectAll().where('entreprise_id', '=', entrepriseId);
    if (options.status) query = query.where('status', '=', options.status);
    return query
      .orderBy('id', 'desc')
      .limit(options.limit ?? 100)
      .offset(options.offset ?? 0)
      .execute();
  }

  /**
   * Deliveries with their channel's label and kind, newest first, filtered. Without `entrepriseId`
   * every entreprise's (operators only).
   */
  async search(filter: DeliveryFilter): Promise<DeliveryListing[]> {
    let query = this.db
      .selectFrom('delivery')
      .innerJoin('channel', 'channel.id', 'delivery.channel_id')
      .selectAll('delivery')
      .select(['channel.label as channel_label', 'channel.kind as channel_kind']);
    if (filter.entrepriseId !== undefined)
      query = query.where('delivery.entreprise_id', '=', filter.entrepriseId);
    if (filter.id !== undefined) query = query.where('delivery.id', '=', filter.id);
    if (filter.status !== undefined) query = query.where('delivery.status', '=', filter.status);
    if (filter.retrying) {
      query = query.where('delivery.status', '=', 'pending').where('delivery.attempts', '>', 0);
    }
    if (filter.channelId !== undefined) query = query.where('delivery.channel_id', '=', filter.channelId);
    if (filter.publicationId !== undefined)
      query = query.where('delivery.publication_id', '=', filter.publicationId);
    if (filter.sirens !== undefined) {
      const sirens = filter.sirens.length > 0 ? [...filter.sirens] : [''];
      query = query.where('delivery.publication_id', 'in', (eb) =>
        eb.selectFrom('publication').select('publication.id').where('publication.siren', 'in', sirens),
      );
    }
    return query
      .orderBy('delivery.id', 'desc')
      .limit(filter.limit ?? 100)
      .offset(filter.offset ?? 0)
      .execute();
  }
}

export interface DeliveryFilter {
  entrepriseId?: number;
  id?: number;
  status?: DeliveryRow['status'];
  /** Only deliveries waiting for another attempt after one or more (pending, attempts > 0). */
  retrying?: boolean;
  channelId?: number;
  publicationId?: number;
  /** Only deliveries of publications of these SIRENs (a user's perimeter). */
  sirens?: readonly string[];
  limit?: number;
  offset?: number;
}

/** A delivery row with what a listing shows of its channel. */
export type DeliveryListing = DeliveryRow & { channel_label: string; channel_kind: ChannelKind };
