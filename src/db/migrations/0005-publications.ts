import type { Kysely } from 'kysely';
import type { Engine } from '../database.js';
import { withId } from './column-types.js';

export async function up(db: Kysely<unknown>, engine: Engine): Promise<void> {
  // One run per (subscription, window start, rebuild): the unique key makes a second scheduler harmless.
  // A run's identity (num_sequence, horodate, format) is fixed when it is created.
  await withId(db.schema.createTable('publication_run'), engine)
    .addColumn('subscription_id', 'integer', (col) => col.notNull().references('subscription.id'))
    .addColumn('window_start', 'text', (col) => col.notNull())
    .addColumn('window_end', 'text', (col) => col.notNull())
    .addColumn('rebuild', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('status', 'text', (col) => col.notNull())
    .addColumn('format', 'text', (col) => col.notNull())
    .addColumn('num_sequence', 'integer')
    .addColumn('horodate', 'text', (col) => col.notNull())
    .addColumn('attempts', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('lease_owner', 'text')
    .addColumn('lease_expires_at', 'text')
    .addColumn('last_error', 'text')
    .addColumn('requested_by', 'text')
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('completed_at', 'text')
    .addUniqueConstraint('publication_run_window_uq', ['subscription_id', 'window_start', 'rebuild'])
    .addUniqueConstraint('publication_run_sequence_uq', ['subscription_id', 'num_sequence'])
    .execute();
  await db.schema
    .createIndex('publication_run_status_idx')
    .on('publication_run')
    .columns(['status', 'window_start'])
    .execute();

  // The archive: one row per published file (zip), the file itself sealed with the master key in storage.
  await withId(db.schema.createTable('publication'), engine)
    .addColumn('run_id', 'integer', (col) => col.notNull().unique().references('publication_run.id'))
    .addColumn('subscription_id', 'integer', (col) => col.notNull().references('subscription.id'))
    .addColumn('entreprise_id', 'integer', (col) => col.notNull().references('entreprise.id'))
    .addColumn('siren', 'text', (col) => col.notNull())
    .addColumn('code_flux', 'text', (col) => col.notNull())
    .addColumn('data_type', 'text', (col) => col.notNull())
    .addColumn('frequency', 'text', (col) => col.notNull())
    .addColumn('format', 'text', (col) => col.notNull())
    .addColumn('category', 'text', (col) => col.notNull())
    .addColumn('window_start', 'text', (col) => col.notNull())
    .addColumn('window_end', 'text', (col) => col.notNull())
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('archive_name', 'text', (col) => col.notNull())
    .addColumn('inner_name', 'text', (col) => col.notNull())
    .addColumn('size', 'integer', (col) => col.notNull())
    .addColumn('sha256', 'text', (col) => col.notNull())
    .addColumn('storage_key', 'text', (col) => col.notNull())
    .addColumn('num_sequence', 'integer', (col) => col.notNull())
    .addColumn('id_demande', 'text', (col) => col.notNull())
    .addColumn('prm_count', 'integer', (col) => col.notNull())
    .addColumn('point_count', 'integer', (col) => col.notNull())
    .execute();
  await db.schema
    .createIndex('publication_entreprise_created_idx')
    .on('publication')
    .columns(['entreprise_id', 'created_at'])
    .execute();
  await db.schema
    .createIndex('publication_archive_name_idx')
    .on('publication')
    .column('archive_name')
    .execute();
  await db.schema.createIndex('publication_created_idx').on('publication').column('created_at').execute();

  await db.schema
    .createTable('publication_prm')
    .addColumn('publication_id', 'integer', (col) => col.notNull().references('publication.id'))
    .addColumn('prm', 'text', (col) => col.notNull())
    .addColumn('contract_number', 'text', (col) => col.notNull())
    .addPrimaryKeyConstraint('publication_prm_pk', ['publication_id', 'prm'])
    .execute();
  await db.schema.createIndex('publication_prm_prm_idx').on('publication_prm').column('prm').execute();
  await db.schema
    .createIndex('publication_prm_contract_idx')
    .on('publication_prm')
    .column('contract_number')
    .execute();
}
