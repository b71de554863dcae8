import { sql } from 'kysely';
import { AppError } from '../domain/app-error.js';
import type { Db } from './database.js';
import type { Schema } from './schema.js';

/**
 * Every column holding strings sealed with the master key: what `rotate-master-key` re-seals and what
 * the first start samples. A new sealed column belongs here (a test compares this list with every
 * `*_sealed` column of the schema).
 */
export const SEALED_COLUMNS = [
  { table: 'customer_key', column: 'key_sealed', label: 'customer key' },
  { table: 'channel', column: 'secret_sealed', label: 'channel secret' },
] as const satisfies ReadonlyArray<{ table: keyof Schema; column: string; label: string }>;

export type SealedColumn = (typeof SEALED_COLUMNS)[number];

/** The stored check value and, while `rotate-master-key` has not finished, its rotation. */
export interface MasterKeyRecord {
  checkValue: string;
  createdAt: string;
  rotation: { checkValue: string; startedAt: string; fileCursor: string | null } | null;
}

/** The `master_key_check` row and the sealed columns, read and rewritten for the master-key guard. */
export class MasterKeyRepository {
  constructor(private readonly db: Db) {}

  async read(): Promise<MasterKeyRecord | undefined> {
    const row = await this.db
      .selectFrom('master_key_check')
      .selectAll()
      .where('id', '=', 1)
      .executeTakeFirst();
    if (!row) return undefined;
    return {
      checkValue: row.check_value,
      createdAt: row.created_at,
      rotation:
        row.rotation_check_value === null
          ? null
          : {
              checkValue: row.rotation_check_value,
              startedAt: row.rotation_started_at ?? row.created_at,
              fileCursor: row.rotation_file_cursor,
            },
    };
  }

  /** Stores the check value unless a row exists: two processes starting together keep the first one. */
  async insertIfAbsent(checkValue: string, now: Date): Promise<void> {
    await this.db
      .insertInto('master_key_check')
      .values({ id: 1, check_value: checkValue, created_at: now.toISOString() })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
  }

  /** Records a rotation to `next`, only from `current` with no rotation under way. */
  async startRotation(current: string, next: string, now: Date): Promise<void> {
    const result = await this.db
      .updateTable('master_key_check')
      .set({ rotation_check_value: next, rotation_started_at: now.toISOString(), rotation_file_cursor: null })
      .where('id', '=', 1)
      .where('check_value', '=', current)
      .where('rotation_check_value', 'is', null)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1) {
      throw new AppError('CONCURRENT_CHANGE', 'the master key check changed while the rotation started');
    }
  }

  /** The last archived file (relative path) re-sealed with the rotation's new key. */
  async saveFileCursor(next: string, cursor: string): Promise<void> {
    await this.db
      .updateTable('master_key_check')
      .set({ rotation_file_cursor: cursor })
      .where('id', '=', 1)
      .where('rotation_check_value', '=', next)
      .execute();
  }

  /** Makes the rotation's new key the key of the database and ends the rotation. */
  async finishRotation(next: string): Promise<void> {
    const result = await this.db
      .updateTable('master_key_check')
      .set({
        check_value: next,
        rotation_check_value: null,
        rotation_started_at: null,
        rotation_file_cursor: null,
      })
      .where('id', '=', 1)
      .where('rotation_check_value', '=', next)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1) {
      throw new AppError('CONCURRENT_CHANGE', 'the master key rotation record changed before it finished');
    }
  }

  /** Up to `limit` sealed values of a column with an id above `afterId`, in id order. */
  async sealedBatch(
    sealed: SealedColumn,
    afterId: number,
    limit: number,
  ): Promise<Array<{ id: number; sealed: string }>> {
    const result = await sql<{ id: number; sealed: string }>`
      select id, ${sql.ref(sealed.column)} as sealed from ${sql.table(sealed.table)}
      where ${sql.ref(sealed.column)} is not null and id > ${afterId}
      order by id limit ${limit}`.execute(this.db);
    return result.rows.map((row) => ({ id: Number(row.id), sealed: row.sealed }));
  }

  /** Replaces one sealed value, provided it is still the one read. */
  async replaceSealed(sealed: SealedColumn, id: number, from: string, to: string): Promise<void> {
    const result = await sql`
      update ${sql.table(sealed.table)} set ${sql.ref(sealed.column)} = ${to}
      where id = ${id} and ${sql.ref(sealed.column)} = ${from}`.execute(this.db);
    if (Number(result.numAffectedRows ?? 0) !== 1) {
      throw new AppError('CONCURRENT_CHANGE', `${sealed.label} ${id} changed during the master key rotation`);
    }
  }

  /** Storage keys of the oldest archived files, oldest first. */
  async oldestArchiveKeys(limit: number): Promise<string[]> {
    const rows = await this.db
      .selectFrom('publication')
      .select('storage_key')
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map((row) => row.storage_key);
  }
}
