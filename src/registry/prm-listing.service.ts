import type { Db } from '../db/database.js';
import { PrmRepository, type PrmRecord } from '../db/prm.repository.js';

/** The PRMs attached to SIRENs on a day, as "Vos compteurs" and the API's SIREN list show them. */
export class PrmListingService {
  constructor(private readonly db: Db) {}

  /** PRMs attached on `day` to each SIREN, SIREN by SIREN in `sirens` order, then by PRM. */
  async attachedOn(sirens: readonly string[], day: string): Promise<Array<PrmRecord & { siren: string }>> {
    const prms = new PrmRepository(this.db);
    const rows: Array<PrmRecord & { siren: string }> = [];
    for (const siren of sirens) {
      for (const prm of await prms.listAttachedOn(siren, day)) rows.push({ ...prm, siren });
    }
    return rows;
  }

  /** How many PRMs of each category are attached on `day` to each SIREN, in `sirens` order. */
  async countsOn(
    sirens: readonly string[],
    day: string,
  ): Promise<Array<{ siren: string; prmCountA: number; prmCountB: number }>> {
    const prms = new PrmRepository(this.db);
    const result = [];
    for (const siren of sirens) {
      result.push({
        siren,
        prmCountA: await prms.countAttachedOn(siren, 'A', day),
        prmCountB: await prms.countAttachedOn(siren, 'B', day),
      });
    }
    return result;
  }
}
