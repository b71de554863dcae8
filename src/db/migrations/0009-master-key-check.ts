import { sql, type Kysely } from 'kysely';

/**
 * `master_key_check`: one row (id 1) naming the master key the database's secrets and the archive are
 * sealed with, by its check value (HMAC-SHA256 of a fixed label, which reveals nothing of the key).
 * While `publiwatt rotate-master-key` runs, the row also holds the new key's check value, when the
 * rotation started and the last archived file re-sealed; every other process refuses to start then.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('master_key_check')
    .addColumn('id', 'integer', (col) => col.primaryKey().check(sql`id = 1`))
    .addColumn('check_value', 'text', (col) => col.notNull())
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('rotation_check_value', 'text')
    .addColumn('rotation_started_at', 'text')
    .addColumn('rotation_file_cursor', 'text')
    .execute();
}
