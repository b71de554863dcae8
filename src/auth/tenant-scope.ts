import { AppError } from '../domain/app-error.js';
import type { Db } from '../db/database.js';
import { EntrepriseRepository } from '../db/entreprise.repository.js';
import type { UserRecord } from '../db/user.repository.js';

/**
 * Checks that a SIREN is visible to a user: one of the entreprise's, and inside the user's perimeter.
 * Anything else is NOT_FOUND, never "forbidden", so nothing of another entreprise can be inferred.
 */
export async function requireSirenInScope(db: Db, user: UserRecord, siren: string): Promise<void> {
  const owner = await new EntrepriseRepository(db).findSiren(siren);
  const visible =
    owner !== undefined &&
    owner.entrepriseId === user.entrepriseId &&
    (user.sirenPerimeter === null || user.sirenPerimeter.includes(siren));
  if (!visible) throw new AppError('NOT_FOUND', `SIREN ${siren} is not visible to user ${user.id}`);
}

/** The SIRENs a user sees: the entreprise's, narrowed by the user's perimeter. */
export async function sirensInScope(db: Db, user: UserRecord): Promise<string[]> {
  const all = await new EntrepriseRepository(db).sirensOf(user.entrepriseId);
  return user.sirenPerimeter === null ? all : all.filter((s) => user.sirenPerimeter!.includes(s));
}
