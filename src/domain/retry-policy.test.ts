import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decideDeliveryRetry, decideRunRetry, deliveryDelayMs, runRetryDelayMs } from './retry-policy.js';

/** The guide's promise to the customer, written here as a fact, not read from the code under test. */
const H72 = 72 * 3600 * 1000;

const FIRST = new Date('2026-03-01T10:00:00.000Z');
const at = (ms: number) => new Date(FIRST.getTime() + ms);

describe('delivery retry policy', () => {
  it('doubles the delay from one minute up to six hours', () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 20].map((n) => deliveryDelayMs(n) / 60_000),
      [1, 2, 4, 8, 16, 32, 64, 128, 256, 360, 360],
    );
  });

  it('draws the delay between half and all of the nominal delay', () => {
    const low = decideDeliveryRetry({ attempts: 3, firstAttemptAt: FIRST, failedAt: FIRST, random: 0 });
    const high = decideDeliveryRetry({
      attempts: 3,
      firstAttemptAt: FIRST,
      failedAt: FIRST,
      random: 0.999999,
    });
    assert.deepEqual(low, { kind: 'retry', at: at(2 * 60_000) });
    assert.equal(high.kind, 'retry');
    assert.ok(high.kind === 'retry' && Math.abs(high.at.getTime() - at(4 * 60_000).getTime()) < 10);
  });

  it('never schedules past 72 h after the first attempt, and fails at the boundary', () => {
    const justBefore = at(H72 - 1);
    const last = decideDeliveryRetry({
      attempts: 30,
      firstAttemptAt: FIRST,
      failedAt: justBefore,
      random: 0.5,
    });
    assert.deepEqual(last, { kind: 'retry', at: at(H72) });
    assert.deepEqual(
      decideDeliveryRetry({ attempts: 31, firstAttemptAt: FIRST, failedAt: at(H72), random: 0.5 }),
      {
        kind: 'failed',
      },
    );
  });

  it('keeps retrying for the whole 72 h with a bounded number of attempts', () => {
    let now = FIRST;
    let attempts = 1;
    // Bounded, so a policy that never gives up fails the test instead of hanging it.
    for (let guard = 0; guard < 100; guard++) {
      const decision = decideDeliveryRetry({
        attempts,
        firstAttemptAt: FIRST,
        failedAt: now,
        random: 1 - 1e-9,
      });
      if (decision.kind === 'failed') break;
      assert.ok(decision.at.getTime() - now.getTime() <= 6 * 3600 * 1000, 'six hours at most');
      now = decision.at;
      attempts++;
    }
    assert.equal(now.getTime(), at(H72).getTime());
    assert.ok(attempts > 15 && attempts < 30, `${attempts} attempts`);
  });
});

const FAILED_AT = new Date('2026-03-01T10:00:00.000Z');

describe('publication run retry policy', () => {
  it('doubles the delay from 30 s and keeps retrying hourly, never giving up', () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 50, 1000].map((n) => runRetryDelayMs(n) / 1000),
      [30, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600, 3600],
    );
    const late = decideRunRetry({ attempts: 500, failedAt: FAILED_AT, permanent: false });
    assert.deepEqual(late, {
      kind: 'retry',
      at: new Date(FAILED_AT.getTime() + 3600 * 1000),
      alert: false,
    });
  });

  it('alerts once, when the last fast attempt fails', () => {
    const alerts = Array.from({ length: 20 }, (_, i) => i + 1).filter((attempts) => {
      const decision = decideRunRetry({ attempts, failedAt: FAILED_AT, permanent: false });
      return decision.kind === 'retry' && decision.alert;
    });
    assert.deepEqual(alerts, [8], 'the 8th attempt, about an hour after the first');
  });

  it('fails for good only a run that can never succeed', () => {
    assert.deepEqual(decideRunRetry({ attempts: 1, failedAt: FAILED_AT, permanent: true }), {
      kind: 'failed',
    });
  });
});
