import type { Clock } from '../clock.js';
import type { Db, Engine } from '../db/database.js';
import { isConcurrencyConflict } from '../db/db-errors.js';
import { PublicationRunRepository, type NewRun } from '../db/publication-run.repository.js';
import { ScheduleRepository } from '../db/schedule.repository.js';
import {
  nextWindow,
  windowContaining,
  type Frequency,
  type PublicationWindow,
} from '../domain/publication-windows.js';
import type { Category } from '../domain/identifiers.js';
import { formatForWindow, type FormatChange } from '../domain/subscription-rules.js';
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

/** A subscription due now, with its frontier (end of the next window to schedule; null: not known yet). */
export interface DueSubscription extends SchedulableSubscription {
  nextDueAt: Date | null;
}

export interface SchedulerDeps {
  db: Db;
  engine: Engine;
  clock: Clock;
  content: PublicationContentSource;
  /** Subscriptions with a window to schedule at `now`, by id after `afterId`, at most `limit`. */
  listDue(now: Date, afterId: number, limit: number): Promise<DueSubscription[]>;
  /** The subscription's format history (format changes apply from the next window). */
  formatHistory(subscriptionId: number): Promise<FormatChange[]>;
  /** Called once per SIREN before its runs are created: applies the JSON-only rule above 100 PRM. */
  beforeSiren?(siren: string, now: Date): Promise<void>;
}

export interface ScheduleResult {
  /** Runs created with a file to build. */
  created: number;
  /** Windows recorded without file ("aucune donnée nouvelle"). */
  empty: number;
  /** Whether windows are still due after this pass (its budget ran out, or it was stopped). */
  more: boolean;
}

const PAGE = 500;

/** Windows a subscription publishes: from the one containing its effective instant; none after it ended. */
function hasEnded(subscription: SchedulableSubscription, window: PublicationWindow): boolean {
  return subscription.endedAt !== null && window.end.getTime() > subscription.endedAt.getTime();
}

/** The next window to schedule: the one ending at the frontier, else after the latest run, else the first. */
async function frontierWindow(
  deps: SchedulerDeps,
  subscription: DueSubscription,
): Promise<PublicationWindow> {
  if (subscription.nextDueAt !== null) {
    return windowContaining(subscription.frequency, new Date(subscription.nextDueAt.getTime() - 1));
  }
  const latest = await new PublicationRunRepository(deps.db).latestScheduledWindow(subscription.id);
  return latest
    ? nextWindow(windowContaining(subscription.frequency, latest))
    : windowContaining(subscription.frequency, subscription.effectiveAt);
}

/**
 * Creates the runs of every window that has ended, in window order, catching up after a downtime.
 * Only subscriptions due now are read (`subscription.next_due_at`), so a pass with nothing due is one
 * indexed query. A subscription's due windows are created together, in one transaction holding its
 * row, which also moves its frontier: two schedulers share a backlog instead of both walking it (on
 * PostgreSQL one skips a subscription the other holds), and a restarted process goes on from the
 * frontier. A run's identity is fixed here: the next numSequence when the window collected something
 * (its content is fixed, since the window is over), none otherwise; a horodate from the creation, one
 * second apart between runs; the format in force at the window start.
 *
 * `maxWindows` bounds a pass (the caller publishes what was created, then calls again: `more`).
 */
export async function scheduleDueRuns(
  deps: SchedulerDeps,
  options: {
    maxWindows?: number;
    /** Aborted when the process stops: no further subscription is scheduled (the next pass goes on). */
    stop?: AbortSignal;
  } = {},
): Promise<ScheduleResult> {
  const now = deps.clock.now();
  let budget = options.maxWindows ?? Infinity;
  const result: ScheduleResult = { created: 0, empty: 0, more: false };
  const sirensDone = new Set<string>();
  let afterId = 0;
  for (;;) {
    const page = await deps.listDue(now, afterId, PAGE);
    for (const subscription of page) {
      if (options.stop?.aborted || budget <= 0) {
        result.more = true;
        return result;
      }
      afterId = subscription.id;
      if (deps.beforeSiren && !sirensDone.has(subscription.siren)) {
        sirensDone.add(subscription.siren);
        await deps.beforeSiren(subscription.siren, now);
      }
      const done = await scheduleSubscription(deps, subscription, now, budget);
      if (!done) continue;
      budget -= done.created + done.empty;
      result.created += done.created;
      result.empty += done.empty;
      if (done.more) result.more = true;
    }
    if (page.length < PAGE) return result;
  }
}

/** Creates a subscription's due windows (at most `budget`); undefined when another scheduler has it. */
async function scheduleSubscription(
  deps: SchedulerDeps,
  subscription: DueSubscription,
  now: Date,
  budget: number,
): Promise<{ created: number; empty: number; more: boolean } | undefined> {
  const windows: Array<PublicationWindow & { hasContent: boolean }> = [];
  let window = await frontierWindow(deps, subscription);
  while (windows.length < budget && !hasEnded(subscription, window) && window.end <= now) {
    const hasContent = await deps.content.hasContent({
      subscriptionId: subscription.id,
      siren: subscription.siren,
      category: subscription.category,
      dataType: subscription.dataType,
      window,
    });
    windows.push({ ...window, hasContent });
    window = nextWindow(window);
  }
  const history = windows.length > 0 ? await deps.formatHistory(subscription.id) : [];
  try {
    return await deps.db.transaction().execute(async (trx) => {
      const frontier = await new ScheduleRepository(trx).lockFrontier(subscription.id);
      const expected = subscription.nextDueAt?.toISOString() ?? null;
      // Held or moved by another scheduler since it was listed: that one creates these windows.
      if (!frontier || frontier.nextDueAt !== expected) return undefined;
      const runs = new PublicationRunRepository(trx);
      let numSequence = await runs.maxSequence(subscription.id);
      let horodate = (await runs.nextHorodate(subscription.id, now)).getTime();
      const rows: NewRun[] = windows.map(({ hasContent, ...w }) => ({
        subscriptionId: subscription.id,
        windowStart: w.start,
        windowEnd: w.end,
        rebuild: 0,
        status: hasContent ? 'pending' : 'empty',
        format: formatForWindow(history, w.start),
        numSequence: hasContent ? ++numSequence : null,
        // Archive names hold the horodate: two files of one subscription never share it.
        horodate: new Date((horodate += 1000) - 1000),
        requestedBy: null,
        createdAt: now,
      }));
      await runs.insertMany(rows);
      const ended = hasEnded(subscription, window);
      await new ScheduleRepository(trx).setNextDue(subscription.id, ended ? 'never' : window.end);
      const created = rows.filter((row) => row.status === 'pending').length;
      return { created, empty: rows.length - created, more: !ended && window.end <= now };
    });
  } catch (error) {
    // Another scheduler created these runs at the same time (or holds SQLite's write lock): it goes on.
    if (isConcurrencyConflict(error)) return undefined;
    throw error;
  }
}
