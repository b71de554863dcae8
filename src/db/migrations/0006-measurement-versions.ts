import { sql, type Kysely } from 'kysely';
import type { Engine } from '../database.js';
import { blobType } from './column-types.js';

/**
 * Measurement versions become immutable rows: `stored_at` joins the keys of `curve_day` and
 * `index_reading`, so a correction adds a row instead of overwriting the one an ended publication
 * window selected (rebuilding that window must give the same file). `superseded_at` is the `stored_at`
 * of the next version, null for the latest; a partial unique index keeps one latest row per key (two
 * concurrent writers of one key cannot both add a latest version) and serves the current reads. Every
 * existing row is kept as the first (and latest) version of its key.
 *
 * PostgreSQL alters the tables in place (the migration runs in a transaction). SQLite cannot alter a
 * primary key: each table is rebuilt (create, copy, drop, rename) inside one explicit transaction,
 * because Kysely runs SQLite migrations outside one.
 */
export async function up(db: Kysely<unknown>, engine: Engine): Promise<void> {
  if (engine === 'postgres') {
    await db.schema.alterTable('curve_day').dropConstraint('curve_day_pk').execute();
    await db.schema
      .alterTable('curve_day')
      .addPrimaryKeyConstraint('curve_day_pk', ['prm', 'day', 'quantity', 'stage', 'stored_at'])
      .execute();
    await db.schema.alterTable('curve_day').addColumn('superseded_at', 'text').execute();
    await db.schema.alterTable('index_reading').dropConstraint('index_reading_pk').execute();
    await db.schema
      .alterTable('index_reading')
      .addPrimaryKeyConstraint('index_reading_pk', ['prm', 'day', 'register', 'stored_at'])
      .execute();
    await db.schema.alterTable('index_reading').addColumn('superseded_at', 'text').execute();
    await createLatestIndexes(db);
    return;
  }
  await db.transaction().execute(async (trx) => {
    await trx.schema
      .createTable('curve_day_next')
      .addColumn('prm', 'text', (col) => col.notNull().references('prm.prm'))
      .addColumn('day', 'text', (col) => col.notNull())
      .addColumn('quantity', 'text', (col) => col.notNull())
      .addColumn('stage', 'text', (col) => col.notNull())
      .addColumn('step_minutes', 'integer', (col) => col.notNull())
      .addColumn('vals', blobType(engine), (col) => col.notNull())
      .addColumn('qualities', blobType(engine), (col) => col.notNull())
      .addColumn('stored_at', 'text', (col) => col.notNull())
      .addColumn('superseded_at', 'text')
      .addPrimaryKeyConstraint('curve_day_pk', ['prm', 'day', 'quantity', 'stage', 'stored_at'])
      .execute();
    await sql`insert into curve_day_next (prm, day, quantity, stage, step_minutes, vals, qualities, stored_at)
      select prm, day, quantity, stage, step_minutes, vals, qualities, stored_at from curve_day`.execute(trx);
    await trx.schema.dropTable('curve_day').execute();
    await trx.schema.alterTable('curve_day_next').renameTo('curve_day').execute();
    await trx.schema.createIndex('curve_day_stored_idx').on('curve_day').column('stored_at').execute();
    await trx.schema
      .createIndex('curve_day_prm_stored_idx')
      .on('curve_day')
      .columns(['prm', 'stage', 'stored_at'])
      .execute();

    await trx.schema
      .createTable('index_reading_next')
      .addColumn('prm', 'text', (col) => col.notNull().references('prm.prm'))
      .addColumn('day', 'text', (col) => col.notNull())
      .addColumn('register', 'text', (col) => col.notNull())
      .addColumn('value_wh', 'bigint', (col) => col.notNull())
      .addColumn('iv', 'integer')
      .addColumn('stored_at', 'text', (col) => col.notNull())
      .addColumn('superseded_at', 'text')
      .addPrimaryKeyConstraint('index_reading_pk', ['prm', 'day', 'register', 'stored_at'])
      .execute();
    await sql`insert into index_reading_next (prm, day, register, value_wh, iv, stored_at)
      select prm, day, register, value_wh, iv, stored_at from index_reading`.execute(trx);
    await trx.schema.dropTable('index_reading').execute();
    await trx.schema.alterTable('index_reading_next').renameTo('index_reading').execute();
    await trx.schema
      .createIndex('index_reading_stored_idx')
      .on('index_reading')
      .column('stored_at')
      .execute();
    await trx.schema
      .createIndex('index_reading_prm_stored_idx')
      .on('index_reading')
      .columns(['prm', 'stored_at'])
      .execute();
    await createLatestIndexes(trx);
  });
}

async function createLatestIndexes(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('curve_day_latest_uq')
    .on('curve_day')
    .columns(['prm', 'day', 'quantity', 'stage'])
    .unique()
    .where(sql.ref('superseded_at'), 'is', null)
    .execute();
  await db.schema
    .createIndex('index_reading_latest_uq')
    .on('index_reading')
    .columns(['prm', 'day', 'register'])
    .unique()
    .where(sql.ref('superseded_at'), 'is', null)
    .execute();
}
