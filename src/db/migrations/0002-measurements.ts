import type { Kysely } from 'kysely';
import type { Engine } from '../database.js';
import { blobType } from './column-types.js';

/**
 * Measurements as PRM-day vectors. `stored_at` is the version: it changes only when the content
 * changes, and publication windows select the versions stored inside them (hence its indexes).
 */
export async function up(db: Kysely<unknown>, engine: Engine): Promise<void> {
  await db.schema
    .createTable('curve_day')
    .addColumn('prm', 'text', (col) => col.notNull().references('prm.prm'))
    .addColumn('day', 'text', (col) => col.notNull())
    .addColumn('quantity', 'text', (col) => col.notNull())
    .addColumn('stage', 'text', (col) => col.notNull())
    .addColumn('step_minutes', 'integer', (col) => col.notNull())
    .addColumn('vals', blobType(engine), (col) => col.notNull())
    .addColumn('qualities', blobType(engine), (col) => col.notNull())
    .addColumn('stored_at', 'text', (col) => col.notNull())
    .addPrimaryKeyConstraint('curve_day_pk', ['prm', 'day', 'quantity', 'stage'])
    .execute();
  await db.schema.createIndex('curve_day_stored_idx').on('curve_day').column('stored_at').execute();
  await db.schema
    .createIndex('curve_day_prm_stored_idx')
    .on('curve_day')
    .columns(['prm', 'stage', 'stored_at'])
    .execute();

  await db.schema
    .createTable('index_reading')
    .addColumn('prm', 'text', (col) => col.notNull().references('prm.prm'))
    .addColumn('day', 'text', (col) => col.notNull())
    .addColumn('register', 'text', (col) => col.notNull())
    .addColumn('value_wh', 'bigint', (col) => col.notNull())
    .addColumn('iv', 'integer')
    .addColumn('stored_at', 'text', (col) => col.notNull())
    .addPrimaryKeyConstraint('index_reading_pk', ['prm', 'day', 'register'])
    .execute();
  await db.schema.createIndex('index_reading_stored_idx').on('index_reading').column('stored_at').execute();
  await db.schema
    .createIndex('index_reading_prm_stored_idx')
    .on('index_reading')
    .columns(['prm', 'stored_at'])
    .execute();
}
