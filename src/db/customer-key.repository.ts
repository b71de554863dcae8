import type { Selectable } from 'kysely';
import type { Db } from './database.js';
import type { CustomerKeyTable } from './schema.js';

export type CustomerKeyRow = Selectable<CustomerKeyTable>;

/** Versions of the customer encryption keys (sealed with the master key). */
export class CustomerKeyRepository {
  constructor(private readonly db: Db) {}

  /** The version new deliveries use: the newest one not retired. */
  async current(entrepriseId: number): Promise<CustomerKeyRow | undefined> {
    return this.db
      .selectFrom('customer_key')
      .selectAll()
      .where('entreprise_id', '=', entrepriseId)
      .where('retired_at', 'is', null)
      .orderBy('version', 'desc')
      .limit(1)
      .executeTakeFirst();
  }

  async byVersion(entrepriseId: number, version: number): Promise<CustomerKeyRow | undefined> {
    return this.db
      .selectFrom('customer_key')
      .selectAll()
      .where('entreprise_id', '=', entrepriseId)
      .where('version', '=', version)
      .executeTakeFirst();
  }

  async latestVersion(entrepriseId: number): Promise<number> {
    const row = await this.db
      .selectFrom('customer_key')
      .select((eb) => eb.fn.max('version').as('version'))
      .where('entreprise_id', '=', entrepriseId)
      .executeTakeFirst();
    return Number(row?.version ?? 0);
  }

  async insert(entrepriseId: number, version: number, keySealed: string, now: Date): Promise<void> {
    await this.db
      .insertInto('customer_key')
      .values({ entreprise_id: entrepriseId, version, key_sealed: keySealed, created_at: now.toISOString() })
      .execute();
  }

  async retireAllBefore(entrepriseId: number, version: number, now: Date): Promise<void> {
    await this.db
      .updateTable('customer_key')
      .set({ retired_at: now.toISOString() })
      .where('entreprise_id', '=', entrepriseId)
      .where('version', '<', version)
      .where('retired_at', 'is', null)
      .execute();
  }

  /** Every version of an entreprise's key, newest first. */
  async listVersions(entrepriseId: number): Promise<CustomerKeyRow[]> {
    return this.db
      .selectFrom('customer_key')
      .selectAll()
      .where('entreprise_id', '=', entrepriseId)
      .orderBy('version', 'desc')
      .execute();
  }
}
