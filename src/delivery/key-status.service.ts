import { CustomerKeyRepository } from '../db/customer-key.repository.js';
import type { Db } from '../db/database.js';

/** The current customer key's version and creation time, never its bytes. */
export interface KeyStatus {
  version: number;
  createdAt: string;
}

/**
 * Whether the entreprise has a customer key yet, and since when. Unlike `EncryptionKeyService`, which
 * creates the first key when asked for it, looking never creates one: the pages say "none yet".
 */
export class KeyStatusService {
  constructor(private readonly db: Db) {}

  async current(entrepriseId: number): Promise<KeyStatus | undefined> {
    const row = await new CustomerKeyRepository(this.db).current(entrepriseId);
    return row && { version: row.version, createdAt: row.created_at };
  }
}
