/**
 * Retry policy of publication runs. A run's identity (numSequence, horodate, format) is fixed when it
 * is created, so a run is never abandoned for a fault that may clear (disk, database, archive store):
 * giving up would leave a permanent hole in the customer's numSequence.
 *
 * After failed attempt n (1-based) the run waits `BASE_DELAY_MS · 2^(n-1)` capped at `MAX_DELAY_MS`:
 * 30 s, 1 min, 2 min … 32 min, then hourly for as long as it fails. The first `FAST_ATTEMPTS` attempts
 * span about an hour; the failure of the last of them alerts the operators, once. Only a run that can
 * never succeed (its subscription or its numSequence is missing) ends `failed`.
 */
export const BASE_DELAY_MS = 30_000;
export const MAX_DELAY_MS = 3_600_000;
/** Attempts in about an hour (30 s doubling) before the operators are alerted. */
export const FAST_ATTEMPTS = 8;

export type RunRetryDecision =
  | { kind: 'retry'; at: Date; /** True once: when the last fast attempt has just failed. */ alert: boolean }
  | { kind: 'failed' };

export function runRetryDelayMs(attempts: number): number {
  return Math.min(BASE_DELAY_MS * 2 ** Math.max(0, attempts - 1), MAX_DELAY_MS);
}

/**
 * @param attempts attempts made so far, including the one that just failed
 * @param permanent the failure can never clear (the run cannot be built at all)
 */
export function decideRunRetry(input: {
  attempts: number;
  failedAt: Date;
  permanent: boolean;
  fastAttempts?: number;
}): RunRetryDecision {
  if (input.permanent) return { kind: 'failed' };
  return {
    kind: 'retry',
    at: new Date(input.failedAt.getTime() + runRetryDelayMs(input.attempts)),
    alert: input.attempts === (input.fastAttempts ?? FAST_ATTEMPTS),
  };
}
