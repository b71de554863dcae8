import { sql } from 'kysely';
import type { Clock } from '../clock.js';
import type { Db, Engine } from '../db/database.js';
import { isConcurrencyConflict } from '../db/db-errors.js';
import { PublicationRunRepository } from '../db/publication-run.repository.js';
import {
  nextWindow,
  windowContaining,
  type Frequency,
  type PublicationWindow,
} from '../domain/publication-windows.js';
import type { Category } from '../domain/identifiers.js';
import type { PublicationContentSource } from './publication-content.js';

/** The part of a subscription the scheduler reads. */
export interface SchedulableSubscription {
  id: number;
  siren: string;
  category: Category;
  dataType: 'INDEX' | 'CDC_BRUTE' | 'CDC_CORRIGEE';
  frequency: Frequency;
  effectiveAt: Date;
  endedAt: Date | null;
}

export interface SchedulerDeps {
  db: Db;
  engine: Engine;
  clock: Clock;
  content: PublicationContentSource;
  /** Subscriptions that may have windows to publish (effective, not ended long ago). */
  listSubscriptions(now: Date): Promise<SchedulableSubscription[]>;
  /** The format a window of the subscription is published in (format changes apply from the next window). */
  formatForWindow(subscriptionId: number, window: PublicationWindow): Promise<'CSV' | 'JSON'>;
  /** Called once per SIREN before its runs are created: applies the JSON-only rule above 100 PRM. */
  beforeSiren?(siren: string, now: Date): Promise<void>;
}

export interface ScheduleResult {
  /** Runs created with a file to build. */
  created: number;
  /** Windows recorded without file ("aucune donnée nouvelle"). */
  empty: number;
}

/** Windows a subscription publishes: from the one containing its effective instant; none after it ended. */
function isPublishable(subscription: SchedulableSubscription, window: PublicationWindow, now: Date): boolean {
  if (window.end.getTime() > now.getTime()) return false;
  return subscription.endedAt === null || window.end.getTime() <= subscription.endedAt.getTime();
}

/**
 * Creates the runs of every window that has ended, in window order, catching up after a downtime.
 * A run is keyed by (subscription, window start): a second scheduler running at the same time
 * inserts nothing. Its identity is fixed here: the next numSequence when the window collected
 * something (its content is fixed, since the window is over), none otherwise; the horodate of
 * creation; the format in force at the window start.
 */
export async function scheduleDueRuns(
  deps: SchedulerDeps,
  options: {
    maxPerSubscription?: number;
    /** Aborted when the process stops: no further window is created (the next pass goes on from there). */
    stop?: AbortSignal;
  } = {},
): Promise<ScheduleResult> {
  const now = deps.clock.now();
  const max = options.maxPerSubscription ?? 1000;
  const result: ScheduleResult = { created: 0, empty: 0 };
  const subscriptions = await deps.listSubscriptions(now);
  const sirensDone = new Set<string>();
  for (const subscription of subscriptions) {
    if (options.stop?.aborted) break;
    if (subscription.effectiveAt.getTime() > now.getTime()) continue;
    if (deps.beforeSiren && !sirensDone.has(subscription.siren)) {
      sirensDone.add(subscription.siren);
      await deps.beforeSiren(subscription.siren, now);
    }
    const runs = new PublicationRunRepository(deps.db, deps.engine);
    const frontier = await runs.latestScheduledWindow(subscription.id);
    let window = frontier
      ? nextWindow(windowContaining(subscription.frequency, frontier))
      : windowContaining(subscription.frequency, subscription.effectiveAt);
    for (
      let count = 0;
      count < max && !options.stop?.aborted && isPublishable(subscription, window, now);
      count++
    ) {
      const scope = {
        subscriptionId: subscription.id,
        siren: subscription.siren,
        category: subscription.category,
        dataType: subscription.dataType,
        window,
      };
      const hasContent = await deps.content.hasContent(scope);
      const format = await deps.formatForWindow(subscription.id, window);
      let inserted: number | undefined;
      try {
        inserted = await deps.db.transaction().execute(async (trx) => {
          // Serialise schedulers per subscription so that two never compute the same next numSequence.
          if (deps.engine === 'postgres') {
            await sql`select id from subscription where id = ${subscription.id} for update`.execute(trx);
          }
          const repository = new PublicationRunRepository(trx, deps.engine);
          const numSequence = hasContent ? (await repository.maxSequence(subscription.id)) + 1 : null;
          return repository.insertIfAbsent({
            subscriptionId: subscription.id,
            windowStart: window.start,
            windowEnd: window.end,
            rebuild: 0,
            status: hasContent ? 'pending' : 'empty',
            format,
            numSequence,
            horodate: await repository.nextHorodate(subscription.id, now),
            requestedBy: null,
            createdAt: now,
          });
        });
      } catch (error) {
        // Another scheduler created this window's run at the same time: it carries on from here.
        if (isConcurrencyConflict(error)) break;
        throw error;
      }
      if (inserted !== undefined) {
        if (hasContent) result.created++;
        else result.empty++;
      }
      window = nextWindow(window);
    }
  }
  return result;
}
