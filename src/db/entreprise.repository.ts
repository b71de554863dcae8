import type { Db } from './database.js';

export interface EntrepriseRow {
  id: number;
  name: string;
  createdAt: string;
}

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
