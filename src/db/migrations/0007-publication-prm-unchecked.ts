import { sql, type Kysely } from 'kysely';
import type { Engine } from '../database.js';

/**
 * `publication_prm` loses its foreign key to `publication`. Its rows are written only in the
 * transaction that inserts their publication, with that publication's id, and deleted with it
 * (`PublicationRepository.insert` and `delete`); checking the key row by row cost PostgreSQL about
 * 60 ms of the commit of a 10 000-PRM file, the publication's largest single statement.
 *
 * PostgreSQL drops the constraint (and compares the table's text keys bytewise, as SQLite does). SQLite
 * cannot: the table is rebuilt (create, copy, drop, rename)
 * inside one explicit transaction, because Kysely runs SQLite migrations outside one.
 */
export async function up(db: Kysely<unknown>, engine: Engine): Promise<void> {
  if (engine === 'postgres') {
    await sql`alter table publication_prm drop constraint publication_prm_publication_id_fkey`.execute(db);
    // Byte order for the two text keys (digits and ASCII codes, compared for equality and listed in
    // PRM order, which is the same): the database's default collation made each index insertion a
    // locale comparison.
    await sql`alter table publication_prm
      alter column prm type text collate "C",
      alter column contract_number type text collate "C"`.execute(db);
    return;
  }
  await db.transaction().execute(async (trx) => {
    await trx.schema
      .createTable('publication_prm_next')
      .addColumn('publication_id', 'integer', (col) => col.notNull())
      .addColumn('prm', 'text', (col) => col.notNull())
      .addColumn('contract_number', 'text', (col) => col.notNull())
      .addPrimaryKeyConstraint('publication_prm_pk', ['publication_id', 'prm'])
      .execute();
    await sql`insert into publication_prm_next (publication_id, prm, contract_number)
      select publication_id, prm, contract_number from publication_prm`.execute(trx);
    await trx.schema.dropTable('publication_prm').execute();
    await trx.schema.alterTable('publication_prm_next').renameTo('publication_prm').execute();
    await trx.schema.createIndex('publication_prm_prm_idx').on('publication_prm').column('prm').execute();
    await trx.schema
      .createIndex('publication_prm_contract_idx')
      .on('publication_prm')
      .column('contract_number')
      .execute();
  });
}
