/**
 * Every retry policy of Publiwatt, and the backoff they share: after failed attempt n (1-based) the
 * nominal delay is `base · 2^(n-1)`, capped at `max`.
 *
 * **Deliveries** (docs/product-rules.md "Delivery"): base 1 min, cap 6 h, "equal jitter" (the delay is
 * drawn uniformly in [½ · nominal, nominal], so workers that failed together do not retry together),
 * for up to 72 h counted from the first attempt, then `failed`. The next attempt never lands after the
 * 72 h deadline: the last one is scheduled at the deadline itself, and a failure at or after it is final.
 *
 * **Publication runs**: a run's identity (numSequence, horodate, format) is fixed when it is created,
 * so a run is never abandoned for a fault that may clear (disk, database, archive store): giving up
 * would leave a permanent hole in the customer's numSequence. Base 30 s, cap 1 h: 30 s, 1 min, 2 min …
 * 32 min, then hourly for as long as it fails. The first `FAST_ATTEMPTS` attempts span about an hour;
 * the failure of the last of them alerts the operators, once. Only a run that can never succeed (its
 * subscription or its numSequence is missing) ends `failed`.
 */

/** `base · 2^(attempts-1)`, capped at `max`. */
export function backoffMs(attempts: number, baseMs: number, maxMs: number): number {
  return Math.min(baseMs * 2 ** Math.max(0, attempts - 1), maxMs);
}

export const RETRY_WINDOW_MS = 72 * 3600_000;
export const DELIVERY_BASE_DELAY_MS = 60_000;
export const DELIVERY_MAX_DELAY_MS = 6 * 3600_000;

export type RetryDecision = { kind: 'retry'; at: Date } | { kind: 'failed' };

export function deliveryDelayMs(attempts: number): number {
  return backoffMs(attempts, DELIVERY_BASE_DELAY_MS, DELIVERY_MAX_DELAY_MS);
}

/**
 * @param attempts attempts made so far, including the one that just failed
 * @param random a number in [0, 1): the jitter source, an input so tests are deterministic
 */
export function decideDeliveryRetry(input: {
  attempts: number;
  firstAttemptAt: Date;
  failedAt: Date;
  random: number;
}): RetryDecision {
  const deadline = input.firstAttemptAt.getTime() + RETRY_WINDOW_MS;
  if (input.failedAt.getTime() >= deadline) return { kind: 'failed' };
  const nominal = deliveryDelayMs(input.attempts);
  const delay = nominal / 2 + (nominal / 2) * input.random;
  return { kind: 'retry', at: new Date(Math.min(input.failedAt.getTime() + delay, deadline)) };
}

export const RUN_BASE_DELAY_MS = 30_000;
export const RUN_MAX_DELAY_MS = 3_600_000;
/** Attempts in about an hour (30 s doubling) before the operators are alerted. */
export const FAST_ATTEMPTS = 8;

export type RunRetryDecision =
  | { kind: 'retry'; at: Date; /** True once: when the last fast attempt has just failed. */ alert: boolean }
  | { kind: 'failed' };

export function runRetryDelayMs(attempts: number): number {
  return backoffMs(attempts, RUN_BASE_DELAY_MS, RUN_MAX_DELAY_MS);
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
