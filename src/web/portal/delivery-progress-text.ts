import type { DeliveryRow } from '../../db/delivery.repository.js';
import { deliveryProgressOf } from '../../delivery/delivery-progress.js';
import { parisDateTimeOf } from '../../domain/french-dates.js';

/**
 * What the portal says under the status of a delivery being retried, e.g. « Nouvel essai le 03/12/2026
 * à 14h05 (2 essais, dernier : connexion refusée ou serveur injoignable ; abandon le 05/12/2026 à 09h00
 * si l'erreur persiste) ». Empty for a delivery never tried, delivered or failed (a failure shows its
 * error on its own). The error is the stored fixed sentence, never a server's reply.
 */
export function deliveryProgressText(
  row: Pick<DeliveryRow, 'status' | 'attempts' | 'first_attempt_at' | 'next_attempt_at' | 'last_error'>,
  now: Date,
): string {
  const progress = deliveryProgressOf(row);
  if (!progress) return '';
  const giveUp = parisDateTimeOf(progress.giveUpAt);
  if (progress.phase === 'attempting') {
    return `Essai n° ${progress.attempts} en cours (précédent : ${progress.lastError ?? ''} ; abandon le ${giveUp} s'il échoue encore)`;
  }
  const last = progress.nextAttemptAt.getTime() >= progress.giveUpAt.getTime();
  const when =
    progress.nextAttemptAt.getTime() > now.getTime()
      ? `le ${parisDateTimeOf(progress.nextAttemptAt)}`
      : 'imminent';
  const count = `${progress.attempts} essai${progress.attempts > 1 ? 's' : ''}`;
  const error = progress.lastError === null ? '' : `, dernier : ${progress.lastError}`;
  const end = last
    ? "abandon s'il échoue"
    : `abandon le ${giveUp} ${progress.lastError === null ? 'si les essais échouent' : "si l'erreur persiste"}`;
  return `${last ? 'Dernier essai' : 'Nouvel essai'} ${when} (${count}${error} ; ${end})`;
}
