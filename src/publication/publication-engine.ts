import path from 'node:path';
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import { MasterCipher } from '../crypto/master-cipher.js';
import type { DatabaseHandle, Db } from '../db/database.js';
import { PublicationRunRepository } from '../db/publication-run.repository.js';
import { PublicationRepository } from '../db/publication.repository.js';
import { SCHEDULING_COLUMNS, ScheduleRepository, type SchedulingRow } from '../db/schedule.repository.js';
import { SubscriptionRepository } from '../db/subscription.repository.js';
import type { PublicationFileSource } from '../delivery/publication-file-source.js';
import { AppError } from '../domain/app-error.js';
import { isWindowStart, windowContaining, type Frequency } from '../domain/publication-windows.js';
import { formatForWindow } from '../domain/subscription-rules.js';
import type { Mailer } from '../notification/mailer.js';
import type { Notifier } from '../notification/notifier.js';
import { MailOperatorNotifier } from '../notification/operator-notifier.js';
import { enforceJsonAboveLimit } from '../subscriptions/json-above-limit.js';
import { LocalArchiveStorage, type ArchiveStorage } from './archive/archive-storage.js';
import { PublicationArchive } from './archive/publication-archive.js';
import { purgeExpired, type PurgeResult } from './archive/retention.js';
import type { PublicationContentSource } from './publication-content.js';
import { failingRunAlert } from './failing-run-alert.js';
import {
  runNext,
  workerId,
  type FailingRun,
  type RunnableSubscription,
  type RunOutcome,
  type RunnerDeps,
} from './runner.js';
import { scheduleDueRuns, type SchedulableSubscription, type ScheduleResult } from './scheduler.js';
import { StoreContentSource } from './store-content-source.js';
import { NEVER_STOPPED, type StopSignal } from '../stop-signal.js';

export interface PublicationEngine {
  readonly archive: PublicationArchive;
  readonly storage: ArchiveStorage;
  /** What the dispatcher reads: the zip of an archived publication, in clear. */
  readonly files: PublicationFileSource;
  /**
   * Creates the runs of ended windows (catching up in order): all of them, or about `maxWindows`
   * (`more` tells whether some are left); `stop` ends it between subscriptions.
   */
  schedule(options?: { maxWindows?: number; stop?: AbortSignal }): Promise<ScheduleResult>;
  /**
   * Runs runnable runs until none is left (or `limit` runs); returns their outcomes. `stop` draining:
   * no further run is claimed; cancelled: the run being written is abandoned and given back.
   */
  runPending(options?: { limit?: number; stop?: StopSignal }): Promise<RunOutcome[]>;
  /** Builds a past window again: same content, next numSequence, new horodate; runs it now. */
  rebuild(subscriptionId: number, windowStart: Date, requestedBy: string): Promise<RunOutcome>;
  /**
   * Runs a pending or failed run now, with its original identity (numSequence, horodate, format).
   * Undefined when the run is done, empty, or being run by a live worker.
   */
  retryNow(runId: number): Promise<RunOutcome | undefined>;
  /** `stop` ends it between two publications. */
  purge(options?: { stop?: AbortSignal }): Promise<PurgeResult>;
}

export interface PublicationEngineDeps {
  config: Pick<Config, 'dataDir' | 'masterKey'>;
  database: DatabaseHandle;
  clock: Clock;
  logger: Logger;
  notifier: Notifier;
  /** Mails the operators' alerts (a run failing its fast attempts); without it they are only logged. */
  mailer?: Mailer;
  /** Defaults to the measurement store; tests may give another. */
  content?: PublicationContentSource;
  /** Defaults to `<data dir>/archive`. */
  storage?: ArchiveStorage;
  leaseMs?: number;
  owner?: string;
}

function toRunnable(row: SchedulingRow): RunnableSubscription & SchedulableSubscription {
  return {
    id: row.id,
    entrepriseId: row.entreprise_id,
    siren: row.siren,
    category: row.category as 'A' | 'B',
    dataType: row.data_type as RunnableSubscription['dataType'],
    frequency: row.frequency as Frequency,
    idDemande: row.id_demande,
    effectiveAt: new Date(row.effective_at),
    endedAt: row.ended_at === null ? null : new Date(row.ended_at),
  };
}

export function createPublicationEngine(deps: PublicationEngineDeps): PublicationEngine {
  const { database, clock, logger } = deps;
  const db = database.db;
  const storage = deps.storage ?? new LocalArchiveStorage(path.join(deps.config.dataDir, 'archive'));
  const archive = new PublicationArchive(storage, new MasterCipher(deps.config.masterKey));
  const content = deps.content ?? new StoreContentSource(db);
  const owner = deps.owner ?? workerId();
  const columns = SCHEDULING_COLUMNS;
  const findSubscription = async (id: number) => {
    const row = await db.selectFrom('subscription').select(columns).where('id', '=', id).executeTakeFirst();
    return row && toRunnable(row);
  };
  const runner: RunnerDeps = {
    db,
    engine: database.engine,
    clock,
    logger,
    content,
    archive,
    findSubscription,
    leaseMs: deps.leaseMs,
    onFailing: (failing) => alertOperators(deps, failing, findSubscription),
  };

  const files: PublicationFileSource = {
    async open(publicationId) {
      const publication = await new PublicationRepository(db).find(publicationId);
      if (!publication) throw new AppError('NOT_FOUND', `publication ${publicationId} is not in the archive`);
      return {
        fileName: publication.archiveName,
        size: publication.size,
        stream() {
          const out = new PassThrough();
          archive
            .open(publication.storageKey)
            .then((source) => pipeline(source, out))
            .catch((error: unknown) => out.destroy(error as Error));
          return out;
        },
      };
    },
  };

  return {
    archive,
    storage,
    files,

    schedule(options = {}) {
      return scheduleDueRuns(
        {
          db,
          engine: database.engine,
          clock,
          content,
          async listDue(now, afterId, limit) {
            const rows = await new ScheduleRepository(db).listDue(now, afterId, limit);
            return rows.map((row) => ({
              ...toRunnable(row),
              nextDueAt: row.next_due_at === null ? null : new Date(row.next_due_at),
            }));
          },
          formatHistory: (subscriptionId) => new SubscriptionRepository(db).formatHistory(subscriptionId),
          async beforeSiren(siren, now) {
            await enforceJsonAboveLimit(db, { now, notifier: deps.notifier, siren });
          },
        },
        options,
      );
    },

    async runPending(options = {}) {
      const outcomes: RunOutcome[] = [];
      const stop = options.stop ?? NEVER_STOPPED;
      while (options.limit === undefined || outcomes.length < options.limit) {
        if (stop.draining.aborted) break;
        const outcome = await runNext(runner, owner, { cancelled: stop.cancelled });
        if (!outcome) break;
        outcomes.push(outcome);
      }
      return outcomes;
    },

    async rebuild(subscriptionId, windowStart, requestedBy) {
      const subscription = await findSubscription(subscriptionId);
      if (!subscription) throw new AppError('NOT_FOUND', `subscription ${subscriptionId} not found`);
      const now = clock.now();
      const invalid = (reason: string) =>
        new AppError('WINDOW_INVALID', `window ${windowStart.toISOString()}: ${reason}`, { reason });
      if (!isWindowStart(subscription.frequency, windowStart)) {
        throw invalid("ce n'est pas le début d'une période de publication de cette fréquence");
      }
      const window = windowContaining(subscription.frequency, windowStart);
      const first = windowContaining(subscription.frequency, subscription.effectiveAt);
      if (window.start < first.start) throw invalid("elle précède la prise d'effet de l'abonnement");
      if (window.end > now) throw invalid("elle n'est pas terminée");
      const runs = new PublicationRunRepository(db);
      const previous = await runs.maxRebuild(subscription.id, window.start);
      if (previous === undefined) throw invalid("elle n'a pas encore été publiée");
      if (await hasUnfinishedRun(db, subscription.id, window.start)) {
        // A run in trouble keeps its number and is retried until published: a rebuild would send the
        // same content again under another number.
        throw invalid("sa publication n'est pas encore faite ; elle le sera sous son numéro d'origine");
      }
      const hasContent = await content.hasContent({
        subscriptionId: subscription.id,
        siren: subscription.siren,
        category: subscription.category,
        dataType: subscription.dataType,
        window,
      });
      if (!hasContent)
        throw new AppError('WINDOW_HAS_NO_DATA', `window ${window.start.toISOString()} collected nothing`);
      const format = formatForWindow(
        await new SubscriptionRepository(db).formatHistory(subscription.id),
        window.start,
      );
      const runId = await db.transaction().execute(async (trx) => {
        const repository = new PublicationRunRepository(trx);
        return repository.insertIfAbsent({
          subscriptionId: subscription.id,
          windowStart: window.start,
          windowEnd: window.end,
          rebuild: ((await repository.maxRebuild(subscription.id, window.start)) ?? 0) + 1,
          status: 'pending',
          format,
          numSequence: (await repository.maxSequence(subscription.id)) + 1,
          horodate: await repository.nextHorodate(subscription.id, now),
          requestedBy,
          createdAt: now,
        });
      });
      if (runId === undefined)
        throw new AppError(
          'CONCURRENT_CHANGE',
          'another rebuild of this window was requested at the same time',
        );
      const outcome = await runNext(runner, owner, { runId });
      return outcome ?? { runId, status: 'retry' };
    },

    async retryNow(runId) {
      const runs = new PublicationRunRepository(db);
      if (!(await runs.makeRunnableNow(runId, clock.now()))) return undefined;
      return runNext(runner, owner, { runId });
    },

    purge(options = {}) {
      return purgeExpired({ db, clock, archive, storage, logger }, { stop: options.stop });
    },
  };
}

/** Whether a run of the window (scheduled or rebuilt) is still to be published. */
async function hasUnfinishedRun(db: Db, subscriptionId: number, windowStart: Date): Promise<boolean> {
  const row = await db
    .selectFrom('publication_run')
    .select('id')
    .where('subscription_id', '=', subscriptionId)
    .where('window_start', '=', windowStart.toISOString())
    .where('status', 'in', ['pending', 'running'])
    .executeTakeFirst();
  return row !== undefined;
}

/** Logs a run that failed its fast attempts at error level and mails the operators, once per run. */
async function alertOperators(
  deps: PublicationEngineDeps,
  failing: FailingRun,
  findSubscription: (id: number) => Promise<RunnableSubscription | undefined>,
): Promise<void> {
  const { run } = failing;
  const subscription = await findSubscription(run.subscriptionId);
  deps.logger.error(
    {
      runId: run.id,
      subscriptionId: run.subscriptionId,
      siren: subscription?.siren,
      windowStart: run.windowStart.toISOString(),
      windowEnd: run.windowEnd.toISOString(),
      numSequence: run.numSequence,
      attempts: run.attempts,
      lastError: failing.error,
      nextAttemptAt: failing.nextAttemptAt.toISOString(),
    },
    'publication run failing after its fast attempts; retried hourly, operators alerted',
  );
  if (!deps.mailer) return;
  await new MailOperatorNotifier(deps.database.db, deps.mailer).notify(
    failingRunAlert({ run, subscription, error: failing.error, nextAttemptAt: failing.nextAttemptAt }),
  );
}
