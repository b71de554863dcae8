import type { Insertable, Selectable, Updateable } from 'kysely';
import type { Db } from './database.js';
import type { ChannelTable } from './schema.js';

export type ChannelRow = Selectable<ChannelTable>;

/** Channels of the entreprises. Reads are scoped by entreprise except the two internal lookups. */
export class ChannelRepository {
  constructor(private readonly db: Db) {}

  async insert(row: Insertable<ChannelTable>): Promise<number> {
    const inserted = await this.db
      .insertInto('channel')
      .values(row)
      .returning('id')
      .executeTakeFirstOrThrow();
    return inserted.id;
  }

  async findInEntreprise(entrepriseId: number, id: number): Promise<ChannelRow | undefined> {
    return this.db
      .selectFrom('channel')
      .selectAll()
      .where('id', '=', id)
      .where('entreprise_id', '=', entrepriseId)
      .executeTakeFirst();
  }

  /** Internal (dispatcher): the channel a delivery row points at. */
  async findById(id: number): Promise<ChannelRow | undefined> {
    return this.db.selectFrom('channel').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async findByConfirmationHash(hash: string): Promise<ChannelRow | undefined> {
    return this.db
      .selectFrom('channel')
      .selectAll()
      .where('confirmation_token_hash', '=', hash)
      .executeTakeFirst();
  }

  async listByEntreprise(entrepriseId: number): Promise<ChannelRow[]> {
    return this.db
      .selectFrom('channel')
      .selectAll()
      .where('entreprise_id', '=', entrepriseId)
      .orderBy('id')
      .execute();
  }

  async update(id: number, patch: Updateable<ChannelTable>): Promise<void> {
    await this.db.updateTable('channel').set(patch).where('id', '=', id).execute();
  }
}
