import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { addAbortSignal, Readable } from 'node:stream';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Db, Engine } from '../db/database.js';
import { PublicationRunRepository, type PublicationRunRecord } from '../db/publication-run.repository.js';
import { PublicationRepository } from '../db/publication.repository.js';
import { startRunCompletion, type PrmList } from '../db/run-completion.js';
import { retryOnConnectionLoss } from '../db/connection-loss.js';
import { DeliveryService } from '../delivery/delivery.service.js';
import { AppError } from '../domain/app-error.js';
import { decideRunRetry } from '../domain/retry-policy.js';
import { type Frequency } from '../domain/publication-windows.js';
import { formatLocal, localDayOf } from '../domain/paris-calendar.js';
import type { Category } from '../domain/identifiers.js';
import type { PublicationArchive } from './archive/publication-archive.js';
import { writeR63Csv } from './formats/r63-csv.writer.js';
import { writeR63Json } from './formats/r63-json.writer.js';
import { writeR64Csv } from './formats/r64-csv.writer.js';
import { writeR64Json } from './formats/r64-json.writer.js';
import type { CodeFlux, R63PrmBlock, R64PrmBlock, R6xHeader } from './formats/r6x.types.js';
import { publicationNames } from './packaging/publication-names.js';
import { writeZip } from './packaging/zip.writer.js';
import type { PrmCoverage, PublicationContentSource, PublicationScope } from './publication-content.js';

/** What the runner reads of a subscription. */
export interface RunnableSubscription {
  id: number;
  entrepriseId: number;
  siren: string;
  category: Category;
  dataType: 'INDEX' | 'CDC_BRUTE' | 'CDC_CORRIGEE';
  frequency: Frequency;
  idDemande: string;
}

export interface RunnerDeps {
  db: Db;
  engine: Engine;
  clock: Clock;
  logger: Logger;
  content: PublicationContentSource;
  archive: PublicationArchive;
  findSubscription(id: number): Promise<RunnableSubscription | undefined>;
  /** Lease of a claimed run; renewed while the run is alive. Default 5 minutes. */
  leaseMs?: number;
  /**
   * Fast attempts (about an hour) before the operators are alerted; the run keeps being retried hourly
   * after them (domain/retry-policy.ts). Default 8.
   */
  maxAttempts?: number;
  /** Called once per run, when its last fast attempt has failed (the operators' alert). */
  onFailing?(failing: FailingRun): Promise<void>;
}

/** A run that failed its fast attempts and is retried hourly from now on. */
export interface FailingRun {
  run: PublicationRunRecord;
  error: string;
  nextAttemptAt: Date;
}

/** A run that no retry can publish (its subscription or its numSequence is missing): it ends `failed`. */
export class RunCannotSucceed extends AppError {}

export interface RunOutcome {
  runId: number;
  /** `released`: given back unfinished because the process is stopping (claimable at once, attempt not counted). */
  status: 'done' | 'retry' | 'failed' | 'lost' | 'released';
  publicationId?: number;
  error?: string;
}

/** A worker's identity in leases: host, process and a random suffix. */
export function workerId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
}

export function codeFluxOf(dataType: RunnableSubscription['dataType'], category: Category): CodeFlux {
  return `${dataType === 'INDEX' ? 'R64' : 'R63'}${category}` as CodeFlux;
}

/** Counts points as blocks stream past and hands each PRM, with its contract number, to the list. */
class Coverage {
  points = 0;
  private last: string | undefined;

  constructor(private readonly list: PrmList) {}

  private see(block: { idPrm: string } & PrmCoverage): void {
    if (this.last !== block.idPrm) {
      this.last = block.idPrm;
      this.list.add({ prm: block.idPrm, contractNumber: block.contractNumber });
    }
  }

  async *curves(blocks: AsyncIterable<R63PrmBlock & PrmCoverage>): AsyncGenerator<R63PrmBlock> {
    for await (const block of blocks) {
      this.see(block);
      for (const { points } of block.grandeur) {
        // Counted as the writers write: a position of a day in columns is a point when it has a
        // quality; a list of points is counted without iterating it (it may be a one-shot iterable).
        if ('days' in points) {
          for (const { stamps, codes, quality } of points.days) {
            let code = -1;
            let present = false;
            for (let i = 0; i < stamps.length; i++) {
              // A day's codes are mostly one and the same: ask only when it changes.
              if (codes[i] !== code) present = quality((code = codes[i]!)) !== undefined;
              if (present) this.points++;
            }
          }
        } else if (Array.isArray(points)) this.points += points.length;
      }
      yield block;
    }
  }

  async *index(blocks: AsyncIterable<R64PrmBlock & PrmCoverage>): AsyncGenerator<R64PrmBlock> {
    for await (const block of blocks) {
      this.see(block);
      for (const contexte of block.contexte) {
        for (const grandeur of contexte.grandeur) {
          for (const calendrier of grandeur.calendrier) {
            for (const classe of calendrier.classeTemporelle) this.points += classe.valeur.length;
          }
          this.points += grandeur.cadranTotalisateur?.valeur.length ?? 0;
        }
      }
      yield block;
    }
  }
}

/**
 * Claims one runnable run and publishes it: read → write (R63/R64, CSV/JSON) → zip → seal → archive
 * (temporary name, rename). The archive row, its PRMs and the delivery rows of the subscription's
 * channels are written in the same transaction that completes the run, guarded by the lease: a
 * worker that lost its lease commits nothing. A redone run has the same identity (numSequence,
 * horodate, idPublication) and the same content, so it writes the same inner file, byte for byte.
 * Returns undefined when nothing is runnable.
 */
export async function runNext(
  deps: RunnerDeps,
  owner: string,
  options: {
    runId?: number;
    /** Aborted when the process stops and its grace has run out: the file being written is abandoned. */
    cancelled?: AbortSignal;
  } = {},
): Promise<RunOutcome | undefined> {
  const leaseMs = deps.leaseMs ?? 5 * 60_000;
  const runs = new PublicationRunRepository(deps.db);
  const run = await runs.claimNext(owner, deps.clock.now(), leaseMs, options.runId);
  if (!run) return undefined;
  let lost = false;
  const heartbeat = setInterval(
    () => {
      runs
        .extendLease(run.id, owner, new Date(deps.clock.now().getTime() + leaseMs))
        .then((held) => {
          if (!held) lost = true;
        })
        .catch((error: unknown) => deps.logger.warn({ err: error, runId: run.id }, 'lease renewal failed'));
    },
    Math.max(1000, Math.floor(leaseMs / 3)),
  );
  heartbeat.unref();
  try {
    const publicationId = await publish(deps, run, owner, () => lost, options.cancelled);
    if (publicationId === undefined) return { runId: run.id, status: 'lost' };
    deps.logger.info({ runId: run.id, publicationId }, 'publication archived');
    return { runId: run.id, status: 'done', publicationId };
  } catch (error) {
    if (options.cancelled?.aborted) return giveBackCancelledRun(deps, runs, run, owner);
    const message =
      error instanceof AppError ? error.detail : error instanceof Error ? error.message : String(error);
    const giveUp = await releaseFailedRun(deps, runs, run, owner, error, message);
    return { runId: run.id, status: giveUp ? 'failed' : 'retry', error: message };
  } finally {
    clearInterval(heartbeat);
  }
}

/**
 * A run abandoned because the process is stopping did not fail: it goes back to the queue at once, its
 * attempt not counted, for the next worker (its transaction was rolled back, its temporary file removed).
 */
async function giveBackCancelledRun(
  deps: RunnerDeps,
  runs: PublicationRunRepository,
  run: PublicationRunRecord,
  owner: string,
): Promise<RunOutcome> {
  const released = await runs.giveBack(run.id, owner);
  deps.logger.info({ runId: run.id, released }, 'publication run given back: the process is stopping');
  return { runId: run.id, status: released ? 'released' : 'lost' };
}

/**
 * Records a failed attempt: back to the queue with the retry policy's delay, keeping the run's identity,
 * or `failed` when it can never succeed; alerts the operators when the last fast attempt has just failed.
 * Returns whether the run was given up.
 */
async function releaseFailedRun(
  deps: RunnerDeps,
  runs: PublicationRunRepository,
  run: PublicationRunRecord,
  owner: string,
  error: unknown,
  message: string,
): Promise<boolean> {
  const decision = decideRunRetry({
    attempts: run.attempts,
    failedAt: deps.clock.now(),
    permanent: error instanceof RunCannotSucceed,
    fastAttempts: deps.maxAttempts,
  });
  const retryAt = decision.kind === 'retry' ? decision.at : null;
  // Given back on a new connection if the failure took this one: else it waits for its lease.
  const released = await retryOnConnectionLoss(() => runs.release(run.id, owner, message, retryAt));
  const giveUp = decision.kind === 'failed';
  deps.logger.error({ err: error, runId: run.id, attempts: run.attempts, giveUp }, 'publication run failed');
  if (released && decision.kind === 'retry' && decision.alert && deps.onFailing) {
    await deps
      .onFailing({ run: { ...run, lastError: message }, error: message, nextAttemptAt: decision.at })
      .catch((alertError: unknown) =>
        deps.logger.error(
          { err: alertError, runId: run.id },
          'operators could not be alerted of a failing run',
        ),
      );
  }
  return giveUp;
}

async function publish(
  deps: RunnerDeps,
  run: PublicationRunRecord,
  owner: string,
  leaseLost: () => boolean,
  cancelled?: AbortSignal,
): Promise<number | undefined> {
  const subscription = await deps.findSubscription(run.subscriptionId);
  if (!subscription)
    throw new RunCannotSucceed('NOT_FOUND', `subscription ${run.subscriptionId} of run ${run.id} is missing`);
  if (run.numSequence === null) throw new RunCannotSucceed('INTERNAL', `run ${run.id} has no numSequence`);
  const codeFlux = codeFluxOf(subscription.dataType, subscription.category);
  const names = publicationNames({
    codeFlux,
    modePublication: subscription.frequency,
    idDemande: subscription.idDemande,
    siren: subscription.siren,
    numSequence: run.numSequence,
    horodate: run.horodate,
    format: run.format,
  });
  const header: R6xHeader = {
    codeFlux,
    idDemande: subscription.idDemande,
    modePublication: subscription.frequency,
    idDestinataire: subscription.siren,
    idPublication: `${subscription.idDemande}${String(run.numSequence).padStart(5, '0')}`,
    dateDebut: formatLocal(run.windowStart),
    dateFin: formatLocal(run.windowEnd),
    echeances: { type: 'heureFixe', horodateDebutPublication: formatLocal(run.windowEnd) },
  };
  const scope: PublicationScope = {
    subscriptionId: subscription.id,
    siren: subscription.siren,
    category: subscription.category,
    dataType: subscription.dataType,
    window: { frequency: subscription.frequency, start: run.windowStart, end: run.windowEnd },
  };
  const completion = await startRunCompletion(deps.db, deps.engine);
  try {
    const coverage = new Coverage(completion);
    let body: AsyncIterable<Buffer>;
    if (subscription.dataType === 'INDEX') {
      const blocks = coverage.index(deps.content.indexBlocks(scope));
      body = run.format === 'JSON' ? writeR64Json(header, blocks) : writeR64Csv(header, blocks);
    } else {
      const blocks = coverage.curves(deps.content.curveBlocks(scope));
      body = run.format === 'JSON' ? writeR63Json(header, blocks) : writeR63Csv(header, blocks);
    }
    // One folder per month of window start (Paris), one file per run: a redone run replaces its own file.
    const storageKey = `${localDayOf(run.windowStart).slice(0, 7).replace('-', '/')}/run-${run.id}.zip.pwm`;
    // Up to 64 chunks of written text may wait for the zip: deflate (in its own thread) keeps working
    // while this thread reads the next page from the database.
    const text = Readable.from(body, { highWaterMark: 64 });
    const zip = writeZip(names.innerName, text, run.horodate);
    // Cancelled, both ends stop at once: the text stops reading the store, the archive gets an error.
    if (cancelled) for (const stream of [text, zip]) addAbortSignal(cancelled, stream);
    const { size, sha256 } = await deps.archive.put(storageKey, zip);
    if (leaseLost()) {
      await completion.abort();
      return undefined;
    }

    const now = deps.clock.now();
    return await completion.commit(async (trx, id, prms) => {
      const runs = new PublicationRunRepository(trx);
      if (!(await runs.complete(run.id, owner, now))) return undefined;
      const publications = new PublicationRepository(trx);
      const publicationId = await publications.insert(
        {
          id,
          runId: run.id,
          subscriptionId: subscription.id,
          entrepriseId: subscription.entrepriseId,
          siren: subscription.siren,
          codeFlux,
          dataType: subscription.dataType,
          frequency: subscription.frequency,
          format: run.format,
          category: subscription.category,
          windowStart: run.windowStart,
          windowEnd: run.windowEnd,
          createdAt: now,
          archiveName: names.archiveName,
          innerName: names.innerName,
          size,
          sha256,
          storageKey,
          numSequence: run.numSequence!,
          idDemande: subscription.idDemande,
          prmCount: completion.count,
          pointCount: coverage.points,
        },
        prms,
      );
      await new DeliveryService({ db: trx, engine: deps.engine }, deps.clock).scheduleForPublication({
        publicationId,
        entrepriseId: subscription.entrepriseId,
        subscriptionId: subscription.id,
      });
      return publicationId;
    });
  } catch (error) {
    await completion.abort();
    throw error;
  }
}
