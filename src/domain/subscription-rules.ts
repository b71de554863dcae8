import { AppError } from './app-error.js';
import type { FileFormat } from './catalog.js';

/** CSV is allowed up to this many PRMs of a SIREN in a category (100 exactly still allows CSV). */
export const CSV_PRM_LIMIT = 100;

/** A new subscription becomes effective exactly 72 hours after it was requested. */
export const ACTIVATION_DELAY_MS = 72 * 60 * 60 * 1000;

export function isCsvAllowed(prmCount: number): boolean {
  return prmCount <= CSV_PRM_LIMIT;
}

/** Throws `CSV_NOT_ALLOWED_OVER_100_PRM` when CSV is asked for a SIREN with more than 100 PRMs. */
export function checkFormatAllowed(format: FileFormat, prmCount: number): void {
  if (format === 'CSV' && !isCsvAllowed(prmCount)) {
    throw new AppError(
      'CSV_NOT_ALLOWED_OVER_100_PRM',
      `CSV is not allowed: the SIREN has ${prmCount} PRMs in this category (more than ${CSV_PRM_LIMIT})`,
      { count: prmCount, limit: CSV_PRM_LIMIT },
    );
  }
}

export function effectiveAtFor(requestedAt: Date): Date {
  return new Date(requestedAt.getTime() + ACTIVATION_DELAY_MS);
}

export type SubscriptionStatus = 'PENDING' | 'EFFECTIVE' | 'ENDED';

export interface SubscriptionTimes {
  effectiveAt: Date;
  endedAt: Date | null;
}

/** Pending before its effective instant, effective from it (inclusive), ended once unsubscribed. */
export function statusAt(subscription: SubscriptionTimes, now: Date): SubscriptionStatus {
  if (subscription.endedAt !== null && subscription.endedAt.getTime() <= now.getTime()) return 'ENDED';
  return now.getTime() >= subscription.effectiveAt.getTime() ? 'EFFECTIVE' : 'PENDING';
}

/** Channels may be associated only with an effective subscription ("Gérer la publication"). */
export function checkChannelAssociationAllowed(subscription: SubscriptionTimes, now: Date): void {
  const status = statusAt(subscription, now);
  if (status === 'PENDING') {
    throw new AppError(
      'SUBSCRIPTION_NOT_YET_EFFECTIVE',
      `the subscription is effective on ${subscription.effectiveAt.toISOString()}`,
      { effectiveAt: subscription.effectiveAt.toISOString() },
    );
  }
  if (status === 'ENDED') {
    throw new AppError('SUBSCRIPTION_ENDED', 'the subscription has ended', {});
  }
}

/** Why a format was recorded: at subscription, on a user's request, or forced by the 100-PRM rule. */
export type FormatChangeCause = 'INITIAL' | 'REQUEST' | 'PRM_LIMIT';

export interface FormatChange {
  format: FileFormat;
  /** Windows starting at or after this instant use the format. */
  from: Date;
  cause: FormatChangeCause;
}

/**
 * The format of the publication of a window starting at `windowStart`, from the subscription's format
 * history (oldest first). A requested change applies from the next window: a window uses the latest
 * change made at or before its start. A switch forced by the 100-PRM rule applies at once, to the very
 * next publication whatever its window (CSV is no longer allowed). The first window may start before
 * the request (weekly and monthly windows are calendar periods): it uses the initial format.
 */
export function formatForWindow(history: readonly FormatChange[], windowStart: Date): FileFormat {
  if (history.length === 0) throw new Error('a subscription always has an initial format');
  let chosen: FormatChange | undefined;
  for (const change of history) {
    if (change.from.getTime() <= windowStart.getTime() || change.cause === 'PRM_LIMIT') chosen = change;
  }
  return (chosen ?? history[0]!).format;
}
