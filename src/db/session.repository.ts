import type { Db } from './database.js';

export interface SessionRecord {
  idHash: string;
  userId: number;
  createdAt: Date;
  expiresAt: Date;
}

/** Portal sessions, keyed by the SHA-256 of the id the cookie carries. */
export class SessionRepository {
  constructor(private readonly db: Db) {}

  async insert(session: SessionRecord): Promise<void> {
    await this.db
      .insertInto('user_session')
      .values({
        id_hash: session.idHash,
        user_id: session.userId,
        created_at: session.createdAt.toISOString(),
        expires_at: session.expiresAt.toISOString(),
      })
      .execute();
  }

  /** The session when it exists and has not expired at `now`. */
  async findLive(idHash: string, now: Date): Promise<SessionRecord | undefined> {
    const row = await this.db
      .selectFrom('user_session')
      .selectAll()
      .where('id_hash', '=', idHash)
      .where('expires_at', '>', now.toISOString())
      .executeTakeFirst();
    return (
      row && {
        idHash: row.id_hash,
        userId: row.user_id,
        createdAt: new Date(row.created_at),
        expiresAt: new Date(row.expires_at),
      }
    );
  }

  async delete(idHash: string): Promise<void> {
    await this.db.deleteFrom('user_session').where('id_hash', '=', idHash).execute();
  }

  /** Ends every session of a user (password change, deactivation), optionally but one. */
  async deleteForUser(userId: number, exceptIdHash?: string): Promise<void> {
    let query = this.db.deleteFrom('user_session').where('user_id', '=', userId);
    if (exceptIdHash !== undefined) query = query.where('id_hash', '<>', exceptIdHash);
    await query.execute();
  }

  async deleteExpired(now: Date): Promise<void> {
    await this.db.deleteFrom('user_session').where('expires_at', '<=', now.toISOString()).execute();
  }
}
