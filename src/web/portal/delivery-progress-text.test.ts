import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FAILURE_TEXT } from '../../delivery/delivery-failure.js';
import { deliveryProgressText } from './delivery-progress-text.js';

const NOW = new Date('2026-12-03T12:00:00.000Z');
const retrying = {
  status: 'pending' as const,
  attempts: 2,
  first_attempt_at: '2026-12-02T08:00:00.000Z',
  next_attempt_at: '2026-12-03T13:05:00.000Z',
  last_error: FAILURE_TEXT.unreachable,
};

describe('delivery progress text of the portal', () => {
  it('tells a delivery waiting after failures its next attempt, attempts, error and end, in Paris time', () => {
    assert.equal(
      deliveryProgressText(retrying, NOW),
      'Nouvel essai le 03/12/2026 à 14h05 (2 essais, dernier : connexion refusée ou serveur injoignable ; ' +
        "abandon le 05/12/2026 à 09h00 si l'erreur persiste)",
    );
  });

  it('counts one attempt in the singular and follows summer time', () => {
    assert.equal(
      deliveryProgressText(
        {
          ...retrying,
          attempts: 1,
          first_attempt_at: '2026-07-01T07:00:00.000Z',
          next_attempt_at: '2026-07-01T07:01:30.000Z',
          last_error: FAILURE_TEXT.authentication,
        },
        new Date('2026-07-01T07:00:30.000Z'),
      ),
      'Nouvel essai le 01/07/2026 à 09h01 (1 essai, dernier : authentification refusée ; ' +
        "abandon le 04/07/2026 à 09h00 si l'erreur persiste)",
    );
  });

  it('says a due attempt is imminent, and the attempt scheduled at the deadline is the last', () => {
    assert.match(
      deliveryProgressText({ ...retrying, next_attempt_at: '2026-12-03T11:59:00.000Z' }, NOW),
      /^Nouvel essai imminent \(2 essais, dernier : connexion refusée/,
    );
    assert.equal(
      deliveryProgressText(
        { ...retrying, attempts: 17, next_attempt_at: '2026-12-05T08:00:00.000Z' },
        new Date('2026-12-05T05:00:00.000Z'),
      ),
      "Dernier essai le 05/12/2026 à 09h00 (17 essais, dernier : connexion refusée ou serveur injoignable ; abandon s'il échoue)",
    );
  });

  it('names the attempt under way after a failure, but not a first attempt', () => {
    assert.equal(
      deliveryProgressText({ ...retrying, status: 'delivering', attempts: 3 }, NOW),
      'Essai n° 3 en cours (précédent : connexion refusée ou serveur injoignable ; ' +
        "abandon le 05/12/2026 à 09h00 s'il échoue encore)",
    );
    assert.equal(
      deliveryProgressText({ ...retrying, status: 'delivering', attempts: 1, last_error: null }, NOW),
      '',
    );
  });

  it('shows no error for a delivery never tried, a delivered one or a failed one', () => {
    const never = { ...retrying, attempts: 0, first_attempt_at: null, last_error: null };
    assert.equal(deliveryProgressText(never, NOW), '');
    assert.equal(deliveryProgressText({ ...retrying, status: 'delivered', last_error: null }, NOW), '');
    assert.equal(deliveryProgressText({ ...retrying, status: 'failed' }, NOW), '');
  });

  it('gives the next attempt without an error when an attempt ended without one', () => {
    assert.equal(
      deliveryProgressText({ ...retrying, attempts: 1, last_error: null }, NOW),
      'Nouvel essai le 03/12/2026 à 14h05 (1 essai ; abandon le 05/12/2026 à 09h00 si les essais échouent)',
    );
  });
});
