import type { Db } from './database.js';

export interface EntrepriseRow {
  id: number;
  name: string;
  createdAt: string;
}

/** Keys per `in (…)` lookup and rows per multi-row insert: far below either engine's parameter limit. */
const BATCH = 1000;

/** Entreprises (customer accounts) and the SIRENs each holds. */
export class EntrepriseRepository {
  constructor(private readonly db: Db) {}

  async findByName(name: string): Promise<EntrepriseRow | undefined> {
    const row = await this.db
      .selectFrom('entreprise')
      .selectAll()
      .where('name', '=', name)
      .executeTakeFirst();
    return row && { id: row.id, name: row.name, createdAt: row.created_at };
  }

  /** The id of each name found among `names`. */
  async idsByName(names: readonly string[]): Promise<Map<string, number>> {
    const ids = new Map<string, number>();
    for (let i = 0; i < names.length; i += BATCH) {
      const rows = await this.db
        .selectFrom('entreprise')
        .select(['id', 'name'])
        .where('name', 'in', names.slice(i, i + BATCH))
        .execute();
      for (const row of rows) ids.set(row.name, row.id);
    }
    return ids;
  }

  async findById(id: number): Promise<EntrepriseRow | undefined> {
    const row = await this.db.selectFrom('entreprise').selectAll().where('id', '=', id).executeTakeFirst();
    return row && { id: row.id, name: row.name, createdAt: row.created_at };
  }

  async list(): Promise<EntrepriseRow[]> {
    const rows = await this.db.selectFrom('entreprise').selectAll().orderBy('id').execute();
    return rows.map((row) => ({ id: row.id, name: row.name, createdAt: row.created_at }));
  }

  async insert(name: string, createdAt: Date): Promise<number> {
    const row = await this.db
      .insertInto('entreprise')
      .values({ name, created_at: createdAt.toISOString() })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  }

  /** Inserts entreprises (ids given in `names` order) and returns the id of each name. */
  async insertMany(names: readonly string[], createdAt: Date): Promise<Map<string, number>> {
    const ids = new Map<string, number>();
    for (let i = 0; i < names.length; i += BATCH) {
      const rows = await this.db
        .insertInto('entreprise')
        .values(names.slice(i, i + BATCH).map((name) => ({ name, created_at: createdAt.toISOString() })))
        .returning(['id', 'name'])
        .execute();
      for (const row of rows) ids.set(row.name, row.id);
    }
    return ids;
  }

  async findSiren(siren: string): Promise<{ siren: string; entrepriseId: number } | undefined> {
    const row = await this.db.selectFrom('siren').selectAll().where('siren', '=', siren).executeTakeFirst();
    return row && { siren: row.siren, entrepriseId: row.entreprise_id };
  }

  async insertSiren(siren: string, entrepriseId: number, createdAt: Date): Promise<void> {
    await this.db
      .insertInto('siren')
      .values({ siren, entreprise_id: entrepriseId, created_at: createdAt.toISOString() })
      .execute();
  }

  /** The entreprise of each SIREN found among `sirens`. */
  async ownersOfSirens(sirens: readonly string[]): Promise<Map<string, number>> {
    const owners = new Map<string, number>();
    for (let i = 0; i < sirens.length; i += BATCH) {
      const rows = await this.db
        .selectFrom('siren')
        .select(['siren', 'entreprise_id'])
        .where('siren', 'in', sirens.slice(i, i + BATCH))
        .execute();
      for (const row of rows) owners.set(row.siren, row.entreprise_id);
    }
    return owners;
  }

  async insertSirens(
    sirens: ReadonlyArray<{ siren: string; entrepriseId: number }>,
    createdAt: Date,
  ): Promise<void> {
    for (let i = 0; i < sirens.length; i += BATCH) {
      await this.db
        .insertInto('siren')
        .values(
          sirens.slice(i, i + BATCH).map((s) => ({
            siren: s.siren,
            entreprise_id: s.entrepriseId,
            created_at: createdAt.toISOString(),
          })),
        )
        .execute();
    }
  }

  /** Every entreprise's SIRENs in one query, each list ordered as `sirensOf` orders it. */
  async sirensByEntreprise(): Promise<Map<number, string[]>> {
    const rows = await this.db
      .selectFrom('siren')
      .select(['entreprise_id', 'siren'])
      .orderBy('siren')
      .execute();
    const sirens = new Map<number, string[]>();
    for (const row of rows) {
      const list = sirens.get(row.entreprise_id);
      if (list) list.push(row.siren);
      else sirens.set(row.entreprise_id, [row.siren]);
    }
    return sirens;
  }

  async sirensOf(entrepriseId: number): Promise<string[]> {
    const rows = await this.db
      .selectFrom('siren')
      .select('siren')
      .where('entreprise_id', '=', entrepriseId)
      .orderBy('siren')
      .execute();
    return rows.map((row) => row.siren);
  }
}
