import type { UserRecord } from '../db/user.repository.js';
import type { ServiceActor } from '../domain/service-actor.js';

/** The portal user as the delivery services see them (audit label = e-mail address). */
export function serviceActorOf(user: UserRecord): ServiceActor {
  return {
    type: 'user',
    id: String(user.id),
    label: user.email,
    entrepriseId: user.entrepriseId,
    habilitations: user.habilitations,
    sirenPerimeter: user.sirenPerimeter,
  };
}
