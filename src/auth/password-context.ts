import type { Db } from '../db/database.js';
import { EntrepriseRepository } from '../db/entreprise.repository.js';
import type { UserRecord } from '../db/user.repository.js';
import type { PasswordContext } from './password-policy.js';

/** What a password of this user must not rely on: their address, their name and their entreprise's. */
export async function passwordContextOf(
  db: Db,
  user: Pick<UserRecord, 'email' | 'displayName' | 'entrepriseId'>,
): Promise<PasswordContext> {
  const entreprise = await new EntrepriseRepository(db).findById(user.entrepriseId);
  return {
    email: user.email,
    displayName: user.displayName,
    ...(entreprise ? { entrepriseName: entreprise.name } : {}),
  };
}
