import type { Db } from './database.js';

export type TokenOwner = { userId: number } | { operatorId: number };

export interface ApiTokenRecord {
  id: number;
  userId: number | null;
  operatorId: number | null;
  name: string;
  prefix: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

type TokenRow = {
  id: number;
  user_id: number | null;
  operator_id: number | null;
  name: string;
  prefix: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
};

function toRecord(row: TokenRow): ApiTokenRecord {
  return {
    id: row.id,
    userId: row.user_id,
    operatorId: row.operator_id,
    name: row.name,
    prefix: row.prefix,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
  };
}

/** API tokens, stored as SHA-256 hashes; the token itself is shown once at creation. */
export class ApiTokenRepository {
  constructor(private readonly db: Db) {}

  async insert(
    owner: TokenOwner,
    token: { name: string; hash: string; prefix: string },
    now: Date,
  ): Promise<number> {
    const row = await this.db
      .insertInto('api_token')
      .values({
        user_id: 'userId' in owner ? owner.userId : null,
        operator_id: 'operatorId' in owner ? owner.operatorId : null,
        name: token.name,
        token_hash: token.hash,
        prefix: token.prefix,
        created_at: now.toISOString(),
        last_used_at: null,
        revoked_at: null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  }

  /** A token that was not revoked, by hash. */
  async findActiveByHash(hash: string): Promise<ApiTokenRecord | undefined> {
    const row = await this.db
      .selectFrom('api_token')
      .select(['id', 'user_id', 'operator_id', 'name', 'prefix', 'created_at', 'last_used_at', 'revoked_at'])
      .where('token_hash', '=', hash)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return row && toRecord(row);
  }

  async listForUser(userId: number): Promise<ApiTokenRecord[]> {
    const rows = await this.db
      .selectFrom('api_token')
      .select(['id', 'user_id', 'operator_id', 'name', 'prefix', 'created_at', 'last_used_at', 'revoked_at'])
      .where('user_id', '=', userId)
      .orderBy('id')
      .execute();
    return rows.map(toRecord);
  }

  /** Revokes a token of this user; false when the user has no such live token. */
  async revokeForUser(userId: number, id: number, now: Date): Promise<boolean> {
    const result = await this.db
      .updateTable('api_token')
      .set({ revoked_at: now.toISOString() })
      .where('id', '=', id)
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async revokeAllForUser(userId: number, now: Date): Promise<void> {
    await this.db
      .updateTable('api_token')
      .set({ revoked_at: now.toISOString() })
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .execute();
  }

  async touch(id: number, now: Date): Promise<void> {
    await this.db
      .updateTable('api_token')
      .set({ last_used_at: now.toISOString() })
      .where('id', '=', id)
      .execute();
  }
}
