import { AppError } from './app-error.js';
import type { Habilitation } from './habilitations.js';

/** Reading needs CONSULTATION or either management right. */
export function canRead(habilitations: readonly Habilitation[]): boolean {
  return habilitations.length > 0;
}

export function requireHabilitation(
  habilitations: readonly Habilitation[],
  needed: Habilitation | 'READ',
): void {
  const ok = needed === 'READ' ? canRead(habilitations) : habilitations.includes(needed);
  if (!ok) {
    throw new AppError('FORBIDDEN_HABILITATION', `the habilitation ${needed} is required`, {
      habilitation: needed === 'READ' ? 'CONSULTATION' : needed,
    });
  }
}

/** Who holds what, as the rights rules need it. `sirenPerimeter` null = every SIREN of the entreprise. */
export interface RightsHolder {
  id: number;
  habilitations: readonly Habilitation[];
  sirenPerimeter: readonly string[] | null;
  active: boolean;
}

export interface RightsChange {
  habilitations?: readonly Habilitation[];
  sirenPerimeter?: readonly string[] | null;
  active?: boolean;
}

/** A perimeter granted to someone else must stay within the granting user's own perimeter. */
export function checkGrantablePerimeter(
  actor: Pick<RightsHolder, 'sirenPerimeter'>,
  perimeter: readonly string[] | null,
): void {
  if (!perimeterWithin(perimeter, actor.sirenPerimeter)) {
    throw new AppError(
      'PERIMETER_BEYOND_OWN',
      'a perimeter cannot exceed the SIRENs of the one granting it',
      {},
    );
  }
}

/**
 * Whether a perimeter lies within another (null = every SIREN of the entreprise). A full perimeter is
 * within no limited one, even one that lists every SIREN today: the entreprise may get more.
 */
export function perimeterWithin(inner: readonly string[] | null, outer: readonly string[] | null): boolean {
  if (outer === null) return true;
  if (inner === null) return false;
  return inner.every((siren) => outer.includes(siren));
}

/**
 * Checks a change of a user's rights by `actor` (both of one entreprise; `users` is every user of it):
 * only GESTION_UTILISATEURS manages users (and so only it grants or revokes GESTION_SERVICES_DONNEES);
 * a manager reaches only users whose perimeter lies within its own (any other is NOT_FOUND, as if it
 * did not exist); nobody widens their own habilitations or perimeter; nobody grants a perimeter beyond
 * their own; the last active GESTION_UTILISATEURS is never removed nor deactivated.
 */
export function checkRightsChange(
  actor: RightsHolder,
  target: RightsHolder,
  change: RightsChange,
  users: readonly RightsHolder[],
): void {
  requireHabilitation(actor.habilitations, 'GESTION_UTILISATEURS');
  if (!perimeterWithin(target.sirenPerimeter, actor.sirenPerimeter)) {
    throw new AppError('NOT_FOUND', `user ${target.id} is outside the perimeter of user ${actor.id}`);
  }
  const nextHabilitations = change.habilitations ?? target.habilitations;
  const nextPerimeter = change.sirenPerimeter === undefined ? target.sirenPerimeter : change.sirenPerimeter;
  const nextActive = change.active ?? target.active;
  if (actor.id === target.id) {
    const widened = nextHabilitations.some((h) => !target.habilitations.includes(h));
    if (widened || !perimeterWithin(nextPerimeter, target.sirenPerimeter)) {
      throw new AppError('SELF_RIGHTS_WIDENING', 'a user cannot widen their own rights', {});
    }
  }
  if (change.sirenPerimeter !== undefined) checkGrantablePerimeter(actor, nextPerimeter);
  const stillManager = nextActive && nextHabilitations.includes('GESTION_UTILISATEURS');
  const wasManager = target.active && target.habilitations.includes('GESTION_UTILISATEURS');
  if (wasManager && !stillManager) {
    const others = users.filter(
      (u) => u.id !== target.id && u.active && u.habilitations.includes('GESTION_UTILISATEURS'),
    );
    if (others.length === 0) {
      throw new AppError(
        'LAST_USER_MANAGER',
        'the last active GESTION_UTILISATEURS of the entreprise cannot be removed',
        {},
      );
    }
  }
}
