import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { PassThrough } from 'node:stream';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { encryptStream } from '../crypto/customer-cipher.js';
import type { DatabaseHandle } from '../db/database.js';
import { DeliveryRepository, type DeliveryRow } from '../db/delivery.repository.js';
import type { ChannelKind } from '../db/schema.js';
import { retryOnConnectionLoss } from '../db/connection-loss.js';
import { AppError, toAppError } from '../domain/app-error.js';
import { decideDeliveryRetry, RETRY_WINDOW_MS } from '../domain/retry-policy.js';
import type { Notifier } from '../notification/notifier.js';
import { NEVER_STOPPED, type StopSignal } from '../stop-signal.js';
import type { ChannelService } from './channel.service.js';
import { customerFailureText } from './delivery-failure.js';
import type { EncryptionKeyService } from './encryption-key.service.js';
import { entrepriseKeys, priorCopyCheck } from './prior-copy.js';
import type { PublicationFile, PublicationFileSource } from './publication-file-source.js';
import type { DeliveryFile, DeliveryReceipt, DeliveryTransport } from './transports/delivery-transport.js';

export interface DispatcherOptions {
  handle: Pick<DatabaseHandle, 'db' | 'engine'>;
  clock: Clock;
  files: PublicationFileSource;
  keys: EncryptionKeyService;
  channels: Pick<ChannelService, 'loadTarget'>;
  transports: Record<ChannelKind, DeliveryTransport>;
  notifier: Notifier;
  /** Portal base URL: e-mails too large to attach link to `<portalUrl>/flux/<publication id>`. */
  portalUrl: string;
  /** Distinguishes this worker's leases; defaults to host:pid:random. */
  workerId?: string;
  /** How long a claim is exclusive; longer than any transfer (transports time out well before). */
  leaseMs?: number;
  /**
   * Rows claimed at once. Default 1: a claim is one cheap statement while a transfer takes far longer,
   * and a process killed without warning then strands only the row it was sending until its lease ends.
   */
  batchSize?: number;
  /** Jitter source in [0, 1). */
  random?: () => number;
  /** Where the raw cause of a failed attempt goes (the delivery row keeps the customer's words only). */
  logger?: Pick<Logger, 'warn'>;
}

export interface DispatchSummary {
  delivered: number;
  retried: number;
  failed: number;
  /** Claims lost to another worker after their lease expired (nothing recorded by this one). */
  lost: number;
  /** Claims given back unfinished because the process is stopping (absent when none was). */
  released?: number;
}

/** After the grace, how long a transfer whose file stream was cut may take to settle before it is left. */
const CANCELLED_TRANSFER_SETTLE_MS = 500;

/** Size of the customer-encrypted file: IV + PKCS#7-padded blocks. */
function encryptedSize(size: number): number {
  return 16 + (Math.floor(size / 16) + 1) * 16;
}

/**
 * `transfer`'s outcome; when `cancelled` aborts first, `cut` stops it and it gets a short while to settle
 * (a transfer cut after its last byte may still succeed), after which the wait ends with the abort reason.
 */
async function unlessCancelled<T>(transfer: Promise<T>, cancelled: AbortSignal, cut: () => void): Promise<T> {
  let onAbort: (() => void) | undefined;
  const abandoned = new Promise<never>((_resolve, reject) => {
    onAbort = () => {
      cut();
      setTimeout(() => reject(cancelled.reason), CANCELLED_TRANSFER_SETTLE_MS);
    };
    if (cancelled.aborted) onAbort();
    else cancelled.addEventListener('abort', onAbort, { once: true });
  });
  // Settling after the wait was abandoned must not count as unhandled.
  abandoned.catch(() => undefined);
  transfer.catch(() => undefined);
  try {
    return await Promise.race([transfer, abandoned]);
  } finally {
    if (onAbort) cancelled.removeEventListener('abort', onAbort);
  }
}

/**
 * Sends due deliveries. Rows are claimed with leases (PostgreSQL `FOR UPDATE SKIP LOCKED`), so any
 * number of dispatchers share the work and a row is attempted by one at a time; results are recorded
 * only by the lease holder. Each attempt encrypts the archived zip with the entreprise's current key
 * and records that version. Failures retry with the policy of `domain/retry-policy.ts`; after 72 h
 * the row is `failed` and the entreprise's data managers are e-mailed.
 */
export class Dispatcher {
  private readonly workerId: string;
  private readonly deliveries: DeliveryRepository;

  constructor(private readonly options: DispatcherOptions) {
    this.workerId = options.workerId ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
    this.deliveries = new DeliveryRepository(options.handle.db);
  }

  /**
   * Runs every delivery due now, batch after batch, and returns what happened. Once `stop` drains, it
   * claims nothing more and gives back at once the claimed rows not started; once it is cancelled, the
   * transfer under way is cut and its row given back too.
   */
  async runDue(stop: StopSignal = NEVER_STOPPED): Promise<DispatchSummary> {
    const summary: DispatchSummary = { delivered: 0, retried: 0, failed: 0, lost: 0 };
    while (!stop.draining.aborted) {
      const now = this.options.clock.now();
      const claimed = await this.deliveries.claimDue(
        this.workerId,
        now,
        new Date(now.getTime() + (this.options.leaseMs ?? 15 * 60_000)),
        this.options.batchSize ?? 1,
      );
      if (claimed.length === 0) return summary;
      await this.runBatch(claimed, stop, summary);
    }
    return summary;
  }

  /** Attempts the claimed rows in turn; when the stop drains, the rows not started go back at once. */
  private async runBatch(claimed: DeliveryRow[], stop: StopSignal, summary: DispatchSummary): Promise<void> {
    let started = 0;
    let givingBack: Promise<void> | undefined;
    const giveBackUnstarted = () => {
      const rest = claimed.slice(started);
      started = claimed.length;
      givingBack = this.giveBack(rest, summary);
    };
    if (stop.draining.aborted) giveBackUnstarted();
    else stop.draining.addEventListener('abort', giveBackUnstarted, { once: true });
    try {
      while (started < claimed.length) {
        const outcome = await this.attempt(claimed[started++]!, stop.cancelled);
        summary[outcome] = (summary[outcome] ?? 0) + 1;
      }
    } finally {
      stop.draining.removeEventListener('abort', giveBackUnstarted);
    }
    await givingBack;
  }

  /** Gives claimed rows back for another dispatcher to take now; on error they wait for their lease. */
  private async giveBack(rows: DeliveryRow[], summary: DispatchSummary): Promise<void> {
    if (rows.length === 0) return;
    try {
      const released = await this.deliveries.giveBack(
        rows.map((row) => row.id),
        this.workerId,
      );
      summary.released = (summary.released ?? 0) + released;
    } catch (error) {
      this.options.logger?.warn(
        { deliveries: rows.map((row) => row.id), error: toAppError(error).detail },
        'deliveries not given back on stop; they wait for their lease',
      );
    }
  }

  private async attempt(
    row: DeliveryRow,
    cancelled: AbortSignal = NEVER_STOPPED.cancelled,
  ): Promise<keyof DispatchSummary> {
    const streams: PassThrough[] = [];
    let keyVersion: number | null = null;
    /** Set once the delivery is recorded (by the transport's hook, before it closes the connection). */
    let recorded: boolean | undefined;
    try {
      const loaded = await this.options.channels.loadTarget(row.channel_id);
      if (!loaded) throw new AppError('NOT_FOUND', `channel ${row.channel_id} no longer exists`);
      if (loaded.status !== 'ACTIF') {
        throw new AppError('DELIVERY_FAILED', `channel ${row.channel_id} is inactive`, {
          reason: 'canal inactif',
        });
      }
      const key = await this.options.keys.current(row.entreprise_id);
      keyVersion = key.version;
      const source = await this.options.files.open(row.publication_id);
      const file: DeliveryFile = {
        fileName: source.fileName,
        size: encryptedSize(source.size),
        keyVersion: key.version,
        archiveUrl: `${this.options.portalUrl.replace(/\/$/, '')}/flux/${row.publication_id}`,
        ...this.exactlyOnce(row, source, async (receipt, copyKeyVersion) => {
          recorded = await this.recordDelivered(row, copyKeyVersion ?? key.version, receipt);
        }),
        stream: () => {
          const plain = source.stream();
          const encrypted = encryptStream(key.key);
          const out = new PassThrough();
          // A broken source must fail the upload, not end it early as if complete.
          plain.once('error', (error) => out.destroy(error));
          encrypted.once('error', (error) => out.destroy(error));
          streams.push(out);
          return plain.pipe(encrypted).pipe(out);
        },
      };
      const receipt = await unlessCancelled(
        this.options.transports[loaded.target.kind].deliver(file, loaded.target),
        cancelled,
        // An upload stops at the next chunk it reads: the customer's server keeps no complete file.
        () => streams.forEach((stream) => stream.destroy(cancelled.reason as Error)),
      );
      // Transports without a connection to close leave the recording to here.
      recorded ??= await this.recordDelivered(row, key.version, receipt);
      return recorded ? 'delivered' : 'lost';
    } catch (error) {
      // Recorded before the connection closed: what failed afterwards changes nothing.
      if (recorded === true) return 'delivered';
      if (cancelled.aborted) return this.giveBackCancelled(row);
      return this.recordFailure(row, toAppError(error), keyVersion);
    }
  }

  /**
   * What makes the attempt count once on file servers: the hook that records the delivery as soon as
   * the file has its final name, the tag of its temporary names and, unless it is the first attempt of
   * a re-send (which replaces the file on purpose), the check for an earlier upload already there.
   */
  private exactlyOnce(
    row: DeliveryRow,
    source: PublicationFile,
    record: (receipt: DeliveryReceipt, copyKeyVersion?: number) => Promise<void>,
  ): Pick<DeliveryFile, 'onDelivered' | 'priorCopy' | 'partTag' | 'retry'> {
    let copyKeyVersion: number | undefined;
    const check = priorCopyCheck(source, () => entrepriseKeys(this.options.keys, row.entreprise_id));
    const retry = row.attempts > 1;
    return {
      partTag: String(row.id),
      retry,
      ...(row.resend_seq === 0 || retry
        ? {
            priorCopy: {
              tailBytes: check.tailBytes,
              recognise: async (tail) => (copyKeyVersion = await check.recognise(tail)),
            },
          }
        : {}),
      onDelivered: (receipt) => record(receipt, receipt.alreadyPresent ? copyKeyVersion : undefined),
    };
  }

  /** The file is sent: a lost connection must not turn it into a failure, which would send it again. */
  private async recordDelivered(
    row: DeliveryRow,
    keyVersion: number,
    receipt: DeliveryReceipt,
  ): Promise<boolean> {
    const deliveredAt = this.options.clock.now();
    return retryOnConnectionLoss(() =>
      this.deliveries.markDelivered(row.id, this.workerId, { keyVersion, receipt }, deliveredAt),
    );
  }

  /** A row whose attempt was cut by the end of the grace: given back, not counted as a failure. */
  private async giveBackCancelled(row: DeliveryRow): Promise<keyof DispatchSummary> {
    const summary: DispatchSummary = { delivered: 0, retried: 0, failed: 0, lost: 0 };
    await this.giveBack([row], summary);
    return summary.released ? 'released' : 'lost';
  }

  private async recordFailure(
    row: DeliveryRow,
    error: AppError,
    keyVersion: number | null,
  ): Promise<keyof DispatchSummary> {
    const now = this.options.clock.now();
    this.options.logger?.warn(
      { deliveryId: row.id, channelId: row.channel_id, attempt: row.attempts, error: error.detail },
      'delivery attempt failed',
    );
    const message = customerFailureText(error);
    const decision = decideDeliveryRetry({
      attempts: row.attempts,
      firstAttemptAt: new Date(row.first_attempt_at ?? now.toISOString()),
      failedAt: now,
      random: (this.options.random ?? Math.random)(),
    });
    if (decision.kind === 'retry') {
      const recorded = await retryOnConnectionLoss(() =>
        this.deliveries.markRetry(row.id, this.workerId, {
          error: message,
          nextAttemptAt: decision.at,
          keyVersion,
        }),
      );
      return recorded ? 'retried' : 'lost';
    }
    const markedFailed = await retryOnConnectionLoss(() =>
      this.deliveries.markFailed(row.id, this.workerId, message, keyVersion),
    );
    if (!markedFailed) return 'lost';
    const loaded = await this.options.channels.loadTarget(row.channel_id).catch(() => undefined);
    const channelName = loaded ? `« ${loaded.target.label} »` : `n° ${row.channel_id}`;
    await this.options.notifier.notify({
      entrepriseId: row.entreprise_id,
      kind: 'delivery.failed',
      subject: `Échec d'envoi d'une publication sur le canal ${channelName}`,
      text:
        `La publication n° ${row.publication_id} n'a pas pu être envoyée sur le canal ${channelName} ` +
        `malgré ${row.attempts} tentatives pendant ${RETRY_WINDOW_MS / 3_600_000} heures.\n\nDernière erreur : ${message}\n\n` +
        'Le fichier reste disponible dans « Recherche de flux ». Après avoir vérifié le canal ' +
        '(« Vos canaux numériques », bouton « Tester »), vous pouvez le renvoyer depuis le portail.',
    });
    return 'failed';
  }
}
