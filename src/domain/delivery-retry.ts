/**
 * Retry policy of deliveries (docs/product-rules.md "Delivery"): exponential backoff with jitter, for up to 72 h
 * counted from the first attempt, then `failed`.
 *
 * After failed attempt n (1-based) the nominal delay is `BASE_DELAY_MS · 2^(n-1)` capped at
 * `MAX_DELAY_MS`; the actual delay is drawn uniformly in [½ · nominal, nominal] ("equal jitter"), so
 * workers that failed together do not retry together. The next attempt never lands after the 72 h
 * deadline: the last one is scheduled at the deadline itself, and a failure at or after it is final.
 */
export const RETRY_WINDOW_MS = 72 * 3600_000;
export const BASE_DELAY_MS = 60_000;
export const MAX_DELAY_MS = 6 * 3600_000;

export type RetryDecision = { kind: 'retry'; at: Date } | { kind: 'failed' };

export function nominalDelayMs(attempts: number): number {
  return Math.min(BASE_DELAY_MS * 2 ** Math.max(0, attempts - 1), MAX_DELAY_MS);
}

/**
 * @param attempts attempts made so far, including the one that just failed
 * @param random a number in [0, 1): the jitter source, an input so tests are deterministic
 */
export function decideRetry(input: {
  attempts: number;
  firstAttemptAt: Date;
  failedAt: Date;
  random: number;
}): RetryDecision {
  const deadline = input.firstAttemptAt.getTime() + RETRY_WINDOW_MS;
  if (input.failedAt.getTime() >= deadline) return { kind: 'failed' };
  const nominal = nominalDelayMs(input.attempts);
  const delay = nominal / 2 + (nominal / 2) * input.random;
  return { kind: 'retry', at: new Date(Math.min(input.failedAt.getTime() + delay, deadline)) };
}
