import type { DeliveryRow } from '../db/delivery.repository.js';
import { RETRY_WINDOW_MS } from '../domain/retry-policy.js';

type ProgressRow = Pick<
  DeliveryRow,
  'status' | 'attempts' | 'first_attempt_at' | 'next_attempt_at' | 'last_error'
>;

/**
 * Where a delivery that is still being tried stands, as the customer is told: during an outage of their
 * server a delivery waits for hours between attempts, and "en attente" alone says neither why nor until
 * when.
 */
export interface DeliveryProgress {
  /** `waiting`: pending, its next attempt to come; `attempting`: an attempt is under way. */
  phase: 'waiting' | 'attempting';
  /** Attempts made, the one under way included. */
  attempts: number;
  /** The last failed attempt's fixed French text (delivery-failure.ts); null if none failed yet. */
  lastError: string | null;
  nextAttemptAt: Date;
  /** From then on a failed attempt is the last one and the delivery is `failed` (domain/retry-policy.ts). */
  giveUpAt: Date;
}

/**
 * The retry deadline of a delivery still being tried: 72 h after its first attempt. Null before the
 * first attempt (the window has not started) and once delivered or failed (nothing more will be tried).
 */
export function giveUpAtOf(row: Pick<DeliveryRow, 'status' | 'first_attempt_at'>): Date | null {
  if (row.status !== 'pending' && row.status !== 'delivering') return null;
  if (row.first_attempt_at === null) return null;
  return new Date(Date.parse(row.first_attempt_at) + RETRY_WINDOW_MS);
}

/**
 * The progress of a delivery tried at least once and not finished; undefined for a delivery never tried
 * (it leaves with the next pass), delivered or failed. An attempt under way counts only after an earlier
 * one failed: a first attempt is simply "being sent".
 */
export function deliveryProgressOf(row: ProgressRow): DeliveryProgress | undefined {
  const giveUpAt = giveUpAtOf(row);
  if (giveUpAt === null || row.attempts < 1) return undefined;
  if (row.status === 'delivering' && (row.attempts < 2 || row.last_error === null)) return undefined;
  return {
    phase: row.status === 'pending' ? 'waiting' : 'attempting',
    attempts: row.attempts,
    lastError: row.last_error,
    nextAttemptAt: new Date(row.next_attempt_at),
    giveUpAt,
  };
}
