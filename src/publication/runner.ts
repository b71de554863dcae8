import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Db, Engine } from '../db/database.js';
import { PublicationRunRepository, type PublicationRunRecord } from '../db/publication-run.repository.js';
import { PublicationRepository } from '../db/publication.repository.js';
import { DeliveryService } from '../delivery/delivery.service.js';
import { AppError } from '../domain/app-error.js';
import { parisDay, parisTimestamp, type Frequency } from '../domain/publication-windows.js';
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
  /** Attempts before a run is marked failed for good. Default 8. */
  maxAttempts?: number;
}

export interface RunOutcome {
  runId: number;
  status: 'done' | 'retry' | 'failed' | 'lost';
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

/** Backoff between attempts of a failing run: 30 s, 1 min, 2 min … capped at 1 h. */
function retryDelayMs(attempts: number): number {
  return Math.min(30_000 * 2 ** Math.max(0, attempts - 1), 3_600_000);
}

/** Counts PRMs and points as blocks stream past, keeping only each PRM's contract number. */
class Coverage {
  readonly prms: Array<{ prm: string; contractNumber: string }> = [];
  points = 0;

  private see(block: { idPrm: string } & PrmCoverage): void {
    if (this.prms[this.prms.length - 1]?.prm !== block.idPrm) {
      this.prms.push({ prm: block.idPrm, contractNumber: block.contractNumber });
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
  options: { runId?: number } = {},
): Promise<RunOutcome | undefined> {
  const leaseMs = deps.leaseMs ?? 5 * 60_000;
  const runs = new PublicationRunRepository(deps.db, deps.engine);
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
    const publicationId = await publish(deps, run, owner, () => lost);
    if (publicationId === undefined) return { runId: run.id, status: 'lost' };
    deps.logger.info({ runId: run.id, publicationId }, 'publication archived');
    return { runId: run.id, status: 'done', publicationId };
  } catch (error) {
    const message =
      error instanceof AppError ? error.detail : error instanceof Error ? error.message : String(error);
    const giveUp = run.attempts >= (deps.maxAttempts ?? 8);
    const retryAt = giveUp ? null : new Date(deps.clock.now().getTime() + retryDelayMs(run.attempts));
    await runs.release(run.id, owner, message, retryAt);
    deps.logger.error({ err: error, runId: run.id, giveUp }, 'publication run failed');
    return { runId: run.id, status: giveUp ? 'failed' : 'retry', error: message };
  } finally {
    clearInterval(heartbeat);
  }
}

async function publish(
  deps: RunnerDeps,
  run: PublicationRunRecord,
  owner: string,
  leaseLost: () => boolean,
): Promise<number | undefined> {
  const subscription = await deps.findSubscription(run.subscriptionId);
  if (!subscription)
    throw new AppError('NOT_FOUND', `subscription ${run.subscriptionId} of run ${run.id} is missing`);
  if (run.numSequence === null) throw new AppError('INTERNAL', `run ${run.id} has no numSequence`);
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
    dateDebut: parisTimestamp(run.windowStart),
    dateFin: parisTimestamp(run.windowEnd),
    echeances: { type: 'heureFixe', horodateDebutPublication: parisTimestamp(run.windowEnd) },
  };
  const scope: PublicationScope = {
    subscriptionId: subscription.id,
    siren: subscription.siren,
    category: subscription.category,
    dataType: subscription.dataType,
    window: { frequency: subscription.frequency, start: run.windowStart, end: run.windowEnd },
  };
  const coverage = new Coverage();
  let body: AsyncIterable<Buffer>;
  if (subscription.dataType === 'INDEX') {
    const blocks = coverage.index(deps.content.indexBlocks(scope));
    body = run.format === 'JSON' ? writeR64Json(header, blocks) : writeR64Csv(header, blocks);
  } else {
    const blocks = coverage.curves(deps.content.curveBlocks(scope));
    body = run.format === 'JSON' ? writeR63Json(header, blocks) : writeR63Csv(header, blocks);
  }
  // One folder per month of window start (Paris), one file per run: a redone run replaces its own file.
  const storageKey = `${parisDay(run.windowStart).slice(0, 7).replace('-', '/')}/run-${run.id}.zip.pwm`;
  // Up to 4 MiB of written text may wait for the zip: deflate (in the thread pool) keeps working while
  // this thread reads the next page from the database.
  const zip = writeZip(names.innerName, Readable.from(body, { highWaterMark: 64 }), run.horodate);
  const { size, sha256 } = await deps.archive.put(storageKey, zip);
  if (leaseLost()) return undefined;

  const now = deps.clock.now();
  return deps.db.transaction().execute(async (trx) => {
    const runs = new PublicationRunRepository(trx, deps.engine);
    if (!(await runs.complete(run.id, owner, now))) return undefined;
    const publications = new PublicationRepository(trx, deps.engine);
    const publicationId = await publications.insert(
      {
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
        prmCount: coverage.prms.length,
        pointCount: coverage.points,
      },
      coverage.prms,
    );
    await new DeliveryService({ db: trx, engine: deps.engine }, deps.clock).scheduleForPublication({
      publicationId,
      entrepriseId: subscription.entrepriseId,
      subscriptionId: subscription.id,
    });
    return publicationId;
  });
}
