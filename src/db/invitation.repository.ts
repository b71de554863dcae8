import type { Db } from './database.js';

/** One-time invitation links (hashed) that let a new user choose a password. */
export class InvitationRepository {
  constructor(private readonly db: Db) {}

  async insert(userId: number, tokenHash: string, now: Date, expiresAt: Date): Promise<void> {
    await this.db
      .insertInto('user_invitation')
      .values({
        user_id: userId,
        token_hash: tokenHash,
        created_at: now.toISOString(),
        expires_at: expiresAt.toISOString(),
        used_at: null,
      })
      .execute();
  }

  /** The user of a live invitation (unused, not expired), without using it. */
  async findLive(tokenHash: string, now: Date): Promise<number | undefined> {
    const row = await this.db
      .selectFrom('user_invitation')
      .select('user_id')
      .where('token_hash', '=', tokenHash)
      .where('used_at', 'is', null)
      .where('expires_at', '>', now.toISOString())
      .executeTakeFirst();
    return row?.user_id;
  }

  /** Marks a live invitation used and returns its user, or undefined when invalid, expired or used. */
  async consume(tokenHash: string, now: Date): Promise<number | undefined> {
    const row = await this.db
      .selectFrom('user_invitation')
      .select(['id', 'user_id'])
      .where('token_hash', '=', tokenHash)
      .where('used_at', 'is', null)
      .where('expires_at', '>', now.toISOString())
      .executeTakeFirst();
    if (!row) return undefined;
    const result = await this.db
      .updateTable('user_invitation')
      .set({ used_at: now.toISOString() })
      .where('id', '=', row.id)
      .where('used_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0 ? row.user_id : undefined;
  }
}
