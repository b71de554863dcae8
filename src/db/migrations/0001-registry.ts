import { sql, type Kysely } from 'kysely';
import type { Engine } from '../database.js';
import { doubleType, withId } from './column-types.js';

export async function up(db: Kysely<unknown>, engine: Engine): Promise<void> {
  await withId(db.schema.createTable('entreprise'), engine)
    .addColumn('name', 'text', (col) => col.notNull().unique())
    .addColumn('created_at', 'text', (col) => col.notNull())
    .execute();

  await db.schema
    .createTable('siren')
    .addColumn('siren', 'text', (col) => col.primaryKey())
    .addColumn('entreprise_id', 'integer', (col) => col.notNull().references('entreprise.id'))
    .addColumn('created_at', 'text', (col) => col.notNull())
    .execute();
  await db.schema.createIndex('siren_entreprise_idx').on('siren').column('entreprise_id').execute();

  await db.schema
    .createTable('prm')
    .addColumn('prm', 'text', (col) => col.primaryKey())
    .addColumn('segment', 'text', (col) => col.notNull())
    .addColumn('category', 'text', (col) => col.notNull())
    .addColumn('kva', doubleType(engine), (col) => col.notNull())
    .addColumn('step', 'text', (col) => col.notNull())
    .addColumn('contract_number', 'text', (col) => col.notNull())
    .addColumn('label', 'text', (col) => col.notNull())
    .addColumn('distributor_calendar', 'text', (col) => col.notNull())
    .addColumn('supplier_calendar', 'text')
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('updated_at', 'text', (col) => col.notNull())
    .execute();
  await db.schema.createIndex('prm_contract_idx').on('prm').column('contract_number').execute();

  await withId(db.schema.createTable('prm_attachment'), engine)
    .addColumn('prm', 'text', (col) => col.notNull().references('prm.prm'))
    .addColumn('siren', 'text', (col) => col.notNull().references('siren.siren'))
    .addColumn('start_date', 'text', (col) => col.notNull())
    .addColumn('end_date', 'text')
    .addUniqueConstraint('prm_attachment_prm_start_uq', ['prm', 'start_date'])
    .execute();
  await db.schema
    .createIndex('prm_attachment_siren_idx')
    .on('prm_attachment')
    .columns(['siren', 'prm'])
    .execute();

  await withId(db.schema.createTable('prm_curve_collection'), engine)
    .addColumn('prm', 'text', (col) => col.notNull().references('prm.prm'))
    .addColumn('start_date', 'text', (col) => col.notNull())
    .addColumn('end_date', 'text')
    .addUniqueConstraint('prm_curve_collection_prm_start_uq', ['prm', 'start_date'])
    .execute();

  await withId(db.schema.createTable('app_user'), engine)
    .addColumn('entreprise_id', 'integer', (col) => col.notNull().references('entreprise.id'))
    .addColumn('email', 'text', (col) => col.notNull().unique())
    .addColumn('display_name', 'text', (col) => col.notNull())
    .addColumn('password_hash', 'text', (col) => col.notNull())
    .addColumn('habilitations', 'text', (col) => col.notNull())
    .addColumn('siren_perimeter', 'text')
    .addColumn('active', 'integer', (col) => col.notNull().defaultTo(1))
    .addColumn('created_at', 'text', (col) => col.notNull())
    .execute();
  await db.schema.createIndex('app_user_entreprise_idx').on('app_user').column('entreprise_id').execute();

  await withId(db.schema.createTable('audit_log'), engine)
    .addColumn('at', 'text', (col) => col.notNull())
    .addColumn('actor_type', 'text', (col) => col.notNull())
    .addColumn('actor_id', 'text')
    .addColumn('actor_label', 'text', (col) => col.notNull())
    .addColumn('entreprise_id', 'integer')
    .addColumn('action', 'text', (col) => col.notNull())
    .addColumn('target', 'text', (col) => col.notNull())
    .addColumn('before_value', 'text')
    .addColumn('after_value', 'text')
    .execute();
  await db.schema
    .createIndex('audit_log_entreprise_at_idx')
    .on('audit_log')
    .columns(['entreprise_id', 'at'])
    .execute();

  // The audit log is append-only at the database level, not only by convention.
  if (engine === 'postgres') {
    await sql`create function audit_log_append_only() returns trigger language plpgsql as $$
      begin raise exception 'audit_log is append-only'; end $$`.execute(db);
    await sql`create trigger audit_log_no_update before update or delete on audit_log
      for each row execute function audit_log_append_only()`.execute(db);
  } else {
    await sql`create trigger audit_log_no_update before update on audit_log
      begin select raise(abort, 'audit_log is append-only'); end`.execute(db);
    await sql`create trigger audit_log_no_delete before delete on audit_log
      begin select raise(abort, 'audit_log is append-only'); end`.execute(db);
  }
}
