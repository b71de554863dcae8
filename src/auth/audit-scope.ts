import { perimeterWithin, requireHabilitation } from '../domain/habilitation-rules.js';
import { AuditRepository, type AuditRecord } from '../db/audit.repository.js';
import type { Db } from '../db/database.js';
import { UserRepository, type UserRecord } from '../db/user.repository.js';
import { sirensInScope } from './tenant-scope.js';

/**
 * The audit log of the user's entreprise as the user may read it (GESTION_UTILISATEURS), newest first.
 *
 * A full-perimeter user sees every entry. A user limited to some SIRENs sees an entry only when the
 * entry concerns at least one SIREN and every SIREN it concerns lies within the perimeter. What an
 * entry concerns follows from its target:
 * - `siren:S`: S;
 * - `prm:P`: every SIREN of the entreprise P has been attached to (a PRM moved from one SIREN to
 *   another concerns both);
 * - `subscription:N`: the subscription's SIREN; `delivery:N`: the SIREN of the publication delivered;
 * - `user:N`: the user's perimeter now and every perimeter the entry records (before, after), a full
 *   perimeter concerning the whole entreprise; `api_token:N`: as its user's perimeter now;
 * - anything else (the entreprise, channels, the encryption key): the whole entreprise, no SIREN.
 */
export async function auditEntriesInScope(
  db: Db,
  user: UserRecord,
  options: { action?: string; limit?: number; offset?: number } = {},
): Promise<AuditRecord[]> {
  requireHabilitation(user.habilitations, 'GESTION_UTILISATEURS');
  const audit = new AuditRepository(db);
  if (user.sirenPerimeter === null) return audit.listForEntreprise(user.entrepriseId, options);
  const sirens = await sirensInScope(db, user);
  if (sirens.length === 0) return [];
  const users = (await new UserRepository(db).listByEntreprise(user.entrepriseId)).filter((u) =>
    perimeterWithin(u.sirenPerimeter, user.sirenPerimeter),
  );
  const recorded = await audit.listWithValuesFor(
    user.entrepriseId,
    users.map((u) => `user:${u.id}`),
  );
  const excludedIds = recorded
    .filter((entry) => recordedPerimeters(entry).some((p) => !perimeterWithin(p, user.sirenPerimeter)))
    .map((entry) => entry.id);
  return audit.listForEntreprise(user.entrepriseId, {
    ...options,
    scope: { sirens, userIds: users.map((u) => u.id), excludedIds },
  });
}

/** The perimeters a user entry records in its before and after values (null: the full perimeter). */
function recordedPerimeters(entry: AuditRecord): Array<readonly string[] | null> {
  return [entry.before, entry.after].flatMap((value) => {
    if (typeof value !== 'object' || value === null || !('sirenPerimeter' in value)) return [];
    const perimeter: unknown = value.sirenPerimeter;
    // Anything but a list reads as the full perimeter: such an entry stays hidden.
    return [Array.isArray(perimeter) ? perimeter.map(String) : null];
  });
}
