import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decideRunRetry, FAST_ATTEMPTS, MAX_DELAY_MS, runRetryDelayMs } from './publication-retry.js';

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
      at: new Date(FAILED_AT.getTime() + MAX_DELAY_MS),
      alert: false,
    });
  });

  it('alerts once, when the last fast attempt fails', () => {
    const alerts = Array.from({ length: 20 }, (_, i) => i + 1).filter((attempts) => {
      const decision = decideRunRetry({ attempts, failedAt: FAILED_AT, permanent: false });
      return decision.kind === 'retry' && decision.alert;
    });
    assert.deepEqual(alerts, [FAST_ATTEMPTS]);
  });

  it('fails for good only a run that can never succeed', () => {
    assert.deepEqual(decideRunRetry({ attempts: 1, failedAt: FAILED_AT, permanent: true }), {
      kind: 'failed',
    });
  });
});
