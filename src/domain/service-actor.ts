import { AppError } from './app-error.js';
import type { Habilitation } from './habilitations.js';

/** Who calls a service: a portal user (with their rights) or the operator/system acting for an entreprise. */
export interface ServiceActor {
  type: 'user' | 'operator' | 'system';
  /** User id as text, or null for the system. */
  id: string | null;
  /** E-mail address or command name, for the audit log. */
  label: string;
  entrepriseId: number;
  habilitations: readonly Habilitation[];
  /** A user's SIREN perimeter; null or absent: every SIREN of the entreprise (operators, the system). */
  sirenPerimeter?: readonly string[] | null;
}

/** Whether a SIREN of the actor's entreprise lies within the actor's perimeter. */
export function actorReachesSiren(actor: ServiceActor, siren: string): boolean {
  const perimeter = actor.sirenPerimeter ?? null;
  return perimeter === null || perimeter.includes(siren);
}

/** Channels, keys and publication settings need GESTION_SERVICES_DONNEES (docs/product-rules.md "Users and habilitations"). */
export function requireDataManager(actor: ServiceActor): void {
  if (actor.type === 'user' && !actor.habilitations.includes('GESTION_SERVICES_DONNEES')) {
    throw new AppError('FORBIDDEN_HABILITATION', `${actor.label} lacks GESTION_SERVICES_DONNEES`, {
      habilitation: 'GESTION_SERVICES_DONNEES',
    });
  }
}
