import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decideRetry, MAX_DELAY_MS, nominalDelayMs } from './delivery-retry.js';

/** The guide's promise to the customer, written here as a fact, not read from the code under test. */
const H72 = 72 * 3600 * 1000;

const FIRST = new Date('2026-03-01T10:00:00.000Z');
const at = (ms: number) => new Date(FIRST.getTime() + ms);

describe('delivery retry policy', () => {
  it('doubles the delay from one minute up to six hours', () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 20].map((n) => nominalDelayMs(n) / 60_000),
      [1, 2, 4, 8, 16, 32, 64, 128, 256, 360, 360],
    );
  });

  it('draws the delay between half and all of the nominal delay', () => {
    const low = decideRetry({ attempts: 3, firstAttemptAt: FIRST, failedAt: FIRST, random: 0 });
    const high = decideRetry({ attempts: 3, firstAttemptAt: FIRST, failedAt: FIRST, random: 0.999999 });
    assert.deepEqual(low, { kind: 'retry', at: at(2 * 60_000) });
    assert.equal(high.kind, 'retry');
    assert.ok(high.kind === 'retry' && Math.abs(high.at.getTime() - at(4 * 60_000).getTime()) < 10);
  });

  it('never schedules past 72 h after the first attempt, and fails at the boundary', () => {
    const justBefore = at(H72 - 1);
    const last = decideRetry({ attempts: 30, firstAttemptAt: FIRST, failedAt: justBefore, random: 0.5 });
    assert.deepEqual(last, { kind: 'retry', at: at(H72) });
    assert.deepEqual(decideRetry({ attempts: 31, firstAttemptAt: FIRST, failedAt: at(H72), random: 0.5 }), {
      kind: 'failed',
    });
  });

  it('keeps retrying for the whole 72 h with a bounded number of attempts', () => {
    let now = FIRST;
    let attempts = 1;
    for (;;) {
      const decision = decideRetry({ attempts, firstAttemptAt: FIRST, failedAt: now, random: 1 - 1e-9 });
      if (decision.kind === 'failed') break;
      assert.ok(decision.at.getTime() - now.getTime() <= MAX_DELAY_MS);
      now = decision.at;
      attempts++;
    }
    assert.equal(now.getTime(), at(H72).getTime());
    assert.ok(attempts > 15 && attempts < 30, `${attempts} attempts`);
  });
});
