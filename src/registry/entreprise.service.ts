import type { Db } from '../db/database.js';
import { EntrepriseRepository } from '../db/entreprise.repository.js';

/** Entreprises as the portal frame and the operators' API read them. */
export class EntrepriseService {
  constructor(private readonly db: Db) {}

  /** The entreprise's name, undefined when there is no such entreprise. */
  async nameOf(entrepriseId: number): Promise<string | undefined> {
    return (await new EntrepriseRepository(this.db).findById(entrepriseId))?.name;
  }

  /** Every entreprise (by id) with its SIRENs (in order), in two queries: for operators only. */
  async listWithSirens(): Promise<Array<{ id: number; name: string; sirens: string[] }>> {
    const entreprises = new EntrepriseRepository(this.db);
    const list = await entreprises.list();
    const sirens = await entreprises.sirensByEntreprise();
    return list.map((e) => ({ id: e.id, name: e.name, sirens: sirens.get(e.id) ?? [] }));
  }
}
