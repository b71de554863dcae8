import { sql, type Selectable } from 'kysely';
import { engineOf, type Db, type Engine } from './database.js';
import type { PublicationTable } from './schema.js';

export interface PublicationRecord {
  id: number;
  runId: number;
  subscriptionId: number;
  entrepriseId: number;
  siren: string;
  codeFlux: string;
  dataType: string;
  frequency: string;
  format: string;
  category: string;
  windowStart: Date;
  windowEnd: Date;
  createdAt: Date;
  archiveName: string;
  innerName: string;
  size: number;
  sha256: string;
  storageKey: string;
  numSequence: number;
  idDemande: string;
  prmCount: number;
  pointCount: number;
}

export type NewPublication = Omit<PublicationRecord, 'id'>;

type PublicationRow = Selectable<PublicationTable>;

export function toPublicationRecord(row: PublicationRow): PublicationRecord {
  return {
    id: row.id,
    runId: row.run_id,
    subscriptionId: row.subscription_id,
    entrepriseId: row.entreprise_id,
    siren: row.siren,
    codeFlux: row.code_flux,
    dataType: row.data_type,
    frequency: row.frequency,
    format: row.format,
    category: row.category,
    windowStart: new Date(row.window_start),
    windowEnd: new Date(row.window_end),
    createdAt: new Date(row.created_at),
    archiveName: row.archive_name,
    innerName: row.inner_name,
    size: Number(row.size),
    sha256: row.sha256,
    storageKey: row.storage_key,
    numSequence: row.num_sequence,
    idDemande: row.id_demande,
    prmCount: row.prm_count,
    pointCount: row.point_count,
  };
}

/** Filters of "Recherche de flux"; every search is scoped to SIRENs the caller may see. */
export interface PublicationSearch {
  sirens: readonly string[];
  siren?: string;
  /** Publication (creation) instants, `[from, to)`. */
  createdFrom?: Date;
  createdTo?: Date;
  frequency?: string;
  fileName?: string;
  dataType?: string;
  contractNumber?: string;
  prm?: string;
  limit: number;
  offset: number;
}

/** The archive rows: what was published, for whom, with what, and where the sealed file lies. */
export class PublicationRepository {
  /** A file's PRM list goes in one statement, written for each engine. */
  private readonly engine: Engine;

  constructor(private readonly db: Db) {
    this.engine = engineOf(db);
  }

  /**
   * Takes the id the next publication will have, before it is inserted (PostgreSQL only): the PRM list
   * of a file can then be written while the file is, in the transaction that will insert the row.
   */
  async reserveId(): Promise<number> {
    if (this.engine !== 'postgres') throw new Error('publication ids are reserved on PostgreSQL only');
    const { rows } = await sql<{
      id: number;
    }>`select nextval(pg_get_serial_sequence('publication', 'id'))::integer as id`.execute(this.db);
    return rows[0]!.id;
  }

  /** Inserts an archive row (with the id reserved for it, if any) and the PRMs its file covers. */
  async insert(
    publication: NewPublication & { id?: number },
    prms: ReadonlyArray<{ prm: string; contractNumber: string }>,
  ): Promise<number> {
    const row = await this.db
      .insertInto('publication')
      .values({
        ...(publication.id === undefined ? {} : { id: publication.id }),
        run_id: publication.runId,
        subscription_id: publication.subscriptionId,
        entreprise_id: publication.entrepriseId,
        siren: publication.siren,
        code_flux: publication.codeFlux,
        data_type: publication.dataType,
        frequency: publication.frequency,
        format: publication.format,
        category: publication.category,
        window_start: publication.windowStart.toISOString(),
        window_end: publication.windowEnd.toISOString(),
        created_at: publication.createdAt.toISOString(),
        archive_name: publication.archiveName,
        inner_name: publication.innerName,
        size: publication.size,
        sha256: publication.sha256,
        storage_key: publication.storageKey,
        num_sequence: publication.numSequence,
        id_demande: publication.idDemande,
        prm_count: publication.prmCount,
        point_count: publication.pointCount,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await this.insertPrms(row.id, prms);
    return row.id;
  }

  /**
   * Adds PRMs to a publication's list, all in one statement: the list as one parameter or two, so a
   * 10 000-PRM list is one round trip without a statement of 30 000 parameters.
   */
  async insertPrms(
    publicationId: number,
    prms: ReadonlyArray<{ prm: string; contractNumber: string }>,
  ): Promise<void> {
    if (prms.length === 0) return;
    if (this.engine === 'postgres') {
      await sql`insert into publication_prm (publication_id, prm, contract_number)
        select ${publicationId}, p.prm, p.contract_number
        from unnest(${prms.map((p) => p.prm)}::text[], ${prms.map((p) => p.contractNumber)}::text[])
          as p (prm, contract_number)`.execute(this.db);
    } else {
      await sql`insert into publication_prm (publication_id, prm, contract_number)
        select ${publicationId}, p.value ->> 0, p.value ->> 1
        from json_each(${JSON.stringify(prms.map((p) => [p.prm, p.contractNumber]))}) as p`.execute(this.db);
    }
  }

  async find(id: number): Promise<PublicationRecord | undefined> {
    const row = await this.db.selectFrom('publication').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toPublicationRecord(row);
  }

  async findByRun(runId: number): Promise<PublicationRecord | undefined> {
    const row = await this.db
      .selectFrom('publication')
      .selectAll()
      .where('run_id', '=', runId)
      .executeTakeFirst();
    return row && toPublicationRecord(row);
  }

  /** Scoped lookup: a publication outside the caller's SIRENs is simply not found. */
  async findVisible(
    id: number,
    entrepriseId: number,
    sirens: readonly string[],
  ): Promise<PublicationRecord | undefined> {
    if (sirens.length === 0) return undefined;
    const row = await this.db
      .selectFrom('publication')
      .selectAll()
      .where('id', '=', id)
      .where('entreprise_id', '=', entrepriseId)
      .where('siren', 'in', [...sirens])
      .executeTakeFirst();
    return row && toPublicationRecord(row);
  }

  async prmsOf(publicationId: number): Promise<Array<{ prm: string; contractNumber: string }>> {
    const rows = await this.db
      .selectFrom('publication_prm')
      .select(['prm', 'contract_number'])
      .where('publication_id', '=', publicationId)
      .orderBy('prm')
      .execute();
    return rows.map((r) => ({ prm: r.prm, contractNumber: r.contract_number }));
  }

  async search(filters: PublicationSearch): Promise<{ total: number; items: PublicationRecord[] }> {
    if (filters.sirens.length === 0) return { total: 0, items: [] };
    let query = this.db.selectFrom('publication as p').where('p.siren', 'in', [...filters.sirens]);
    if (filters.siren) query = query.where('p.siren', '=', filters.siren);
    if (filters.createdFrom) query = query.where('p.created_at', '>=', filters.createdFrom.toISOString());
    if (filters.createdTo) query = query.where('p.created_at', '<', filters.createdTo.toISOString());
    if (filters.frequency) query = query.where('p.frequency', '=', filters.frequency);
    if (filters.dataType) query = query.where('p.data_type', '=', filters.dataType);
    if (filters.fileName) {
      const name = filters.fileName;
      query = query.where((eb) => eb.or([eb('p.archive_name', '=', name), eb('p.inner_name', '=', name)]));
    }
    if (filters.prm) {
      const prm = filters.prm;
      query = query.where((eb) =>
        eb.exists(
          eb
            .selectFrom('publication_prm as pp')
            .select('pp.prm')
            .whereRef('pp.publication_id', '=', 'p.id')
            .where('pp.prm', '=', prm),
        ),
      );
    }
    if (filters.contractNumber) {
      const contract = filters.contractNumber;
      query = query.where((eb) =>
        eb.exists(
          eb
            .selectFrom('publication_prm as pc')
            .select('pc.prm')
            .whereRef('pc.publication_id', '=', 'p.id')
            .where('pc.contract_number', '=', contract),
        ),
      );
    }
    const total = await query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const rows = await query
      .selectAll('p')
      .orderBy('p.created_at', 'desc')
      .orderBy('p.id', 'desc')
      .limit(filters.limit)
      .offset(filters.offset)
      .execute();
    return { total: Number(total.n), items: rows.map(toPublicationRecord) };
  }

  /** Publications created before `before`, oldest first, for the retention job. */
  async listCreatedBefore(before: Date, limit: number): Promise<PublicationRecord[]> {
    const rows = await this.db
      .selectFrom('publication')
      .selectAll()
      .where('created_at', '<', before.toISOString())
      .orderBy('created_at')
      .limit(limit)
      .execute();
    return rows.map(toPublicationRecord);
  }

  async delete(id: number): Promise<void> {
    await this.db.deleteFrom('publication_prm').where('publication_id', '=', id).execute();
    await this.db.deleteFrom('publication').where('id', '=', id).execute();
  }
}
