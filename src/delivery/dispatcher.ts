import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { PassThrough } from 'node:stream';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { encryptStream } from '../crypto/customer-cipher.js';
import type { DatabaseHandle } from '../db/database.js';
import { DeliveryRepository, type DeliveryRow } from '../db/delivery.repository.js';
import type { ChannelKind } from '../db/schema.js';
import { AppError, toAppError } from '../domain/app-error.js';
import { decideRetry } from '../domain/delivery-retry.js';
import type { Notifier } from '../notification/notifier.js';
import type { ChannelService } from './channel.service.js';
import { customerFailureText } from './delivery-failure.js';
import type { EncryptionKeyService } from './encryption-key.service.js';
import type { PublicationFileSource } from './publication-file-source.js';
import type { DeliveryFile, DeliveryTransport } from './transports/delivery-transport.js';

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
}

/** Size of the customer-encrypted file: IV + PKCS#7-padded blocks. */
function encryptedSize(size: number): number {
  return 16 + (Math.floor(size / 16) + 1) * 16;
}

/**
 * Sends due deliveries. Rows are claimed with leases (PostgreSQL `FOR UPDATE SKIP LOCKED`), so any
 * number of dispatchers share the work and a row is attempted by one at a time; results are recorded
 * only by the lease holder. Each attempt encrypts the archived zip with the entreprise's current key
 * and records that version. Failures retry with the policy of `domain/delivery-retry.ts`; after 72 h
 * the row is `failed` and the entreprise's data managers are e-mailed.
 */
export class Dispatcher {
  private readonly workerId: string;
  private readonly deliveries: DeliveryRepository;

  constructor(private readonly options: DispatcherOptions) {
    this.workerId = options.workerId ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
    this.deliveries = new DeliveryRepository(options.handle);
  }

  /** Runs every delivery due now, batch after batch, and returns what happened. */
  async runDue(): Promise<DispatchSummary> {
    const summary: DispatchSummary = { delivered: 0, retried: 0, failed: 0, lost: 0 };
    for (;;) {
      const now = this.options.clock.now();
      const claimed = await this.deliveries.claimDue(
        this.workerId,
        now,
        new Date(now.getTime() + (this.options.leaseMs ?? 15 * 60_000)),
        this.options.batchSize ?? 10,
      );
      if (claimed.length === 0) return summary;
      for (const row of claimed) summary[await this.attempt(row)]++;
    }
  }

  private async attempt(row: DeliveryRow): Promise<keyof DispatchSummary> {
    let keyVersion: number | null = null;
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
        stream: () => {
          const plain = source.stream();
          const encrypted = encryptStream(key.key);
          const out = new PassThrough();
          // A broken source must fail the upload, not end it early as if complete.
          plain.once('error', (error) => out.destroy(error));
          encrypted.once('error', (error) => out.destroy(error));
          return plain.pipe(encrypted).pipe(out);
        },
      };
      const receipt = await this.options.transports[loaded.target.kind].deliver(file, loaded.target);
      const recorded = await this.deliveries.markDelivered(
        row.id,
        this.workerId,
        { keyVersion: key.version, receipt },
        this.options.clock.now(),
      );
      return recorded ? 'delivered' : 'lost';
    } catch (error) {
      return this.recordFailure(row, toAppError(error), keyVersion);
    }
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
    const decision = decideRetry({
      attempts: row.attempts,
      firstAttemptAt: new Date(row.first_attempt_at ?? now.toISOString()),
      failedAt: now,
      random: (this.options.random ?? Math.random)(),
    });
    if (decision.kind === 'retry') {
      const recorded = await this.deliveries.markRetry(row.id, this.workerId, {
        error: message,
        nextAttemptAt: decision.at,
        keyVersion,
      });
      return recorded ? 'retried' : 'lost';
    }
    if (!(await this.deliveries.markFailed(row.id, this.workerId, message, keyVersion))) return 'lost';
    const loaded = await this.options.channels.loadTarget(row.channel_id).catch(() => undefined);
    const channelName = loaded ? `« ${loaded.target.label} »` : `n° ${row.channel_id}`;
    await this.options.notifier.notify({
      entrepriseId: row.entreprise_id,
      kind: 'delivery.failed',
      subject: `Échec d'envoi d'une publication sur le canal ${channelName}`,
      text:
        `La publication n° ${row.publication_id} n'a pas pu être envoyée sur le canal ${channelName} ` +
        `malgré ${row.attempts} tentatives pendant 72 heures.\n\nDernière erreur : ${message}\n\n` +
        'Le fichier reste disponible dans « Recherche de flux ». Après avoir vérifié le canal ' +
        '(« Vos canaux numériques », bouton « Tester »), vous pouvez le renvoyer depuis le portail.',
    });
    return 'failed';
  }
}
