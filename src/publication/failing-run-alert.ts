import { DateTime } from 'luxon';
import type { PublicationRunRecord } from '../db/publication-run.repository.js';
import { DATA_TYPE_LABELS, FREQUENCY_LABELS } from '../domain/catalog.js';
import { PARIS_ZONE } from '../domain/paris-calendar.js';
import type { OperatorMessage } from '../notification/operator-notifier.js';
import type { RunnableSubscription } from './runner.js';

const paris = (instant: Date) =>
  DateTime.fromJSDate(instant, { zone: PARIS_ZONE }).setLocale('fr').toFormat("dd/MM/yyyy 'à' HH'h'mm");

/**
 * The operators' alert for a run that failed its fast attempts: what it is (subscription, SIREN,
 * window, numSequence), how often it failed and why, and that it keeps being retried hourly.
 */
export function failingRunAlert(input: {
  run: PublicationRunRecord;
  subscription: RunnableSubscription | undefined;
  error: string;
  nextAttemptAt: Date;
}): OperatorMessage {
  const { run, subscription } = input;
  const what = subscription
    ? `l'abonnement n° ${subscription.id} (${DATA_TYPE_LABELS[subscription.dataType].toLowerCase()}, ` +
      `${FREQUENCY_LABELS[subscription.frequency].toLowerCase()}, catégorie ${subscription.category}, ` +
      `demande ${subscription.idDemande}) du SIREN ${subscription.siren}`
    : `l'abonnement n° ${run.subscriptionId}`;
  return {
    kind: 'PUBLICATION_RUN_FAILING',
    subject: `Publication n° ${run.numSequence ?? '—'} en échec (abonnement n° ${run.subscriptionId})`,
    text:
      `La publication n° ${run.numSequence ?? '—'} de ${what}, pour la période du ` +
      `${paris(run.windowStart)} au ${paris(run.windowEnd)} (heure de Paris), n'a pas pu être produite ` +
      `après ${run.attempts} tentatives.\n\nDernière erreur (message technique) : ${input.error}\n\n` +
      `Elle est retentée automatiquement toutes les heures (prochaine tentative le ` +
      `${paris(input.nextAttemptAt)}), avec son numéro de séquence et son horodate d'origine : ` +
      `le client la recevra sans trou dans sa numérotation dès que la cause sera levée. ` +
      `Les publications suivantes de l'abonnement continuent d'être produites.\n\n` +
      `Suivi : GET /api/v1/operator/runs?status=failing ; relance immédiate : ` +
      `POST /api/v1/operator/runs/${run.id}/retry.`,
  };
}
