import path from 'node:path';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import { MasterCipher } from '../crypto/master-cipher.js';
import type { DatabaseHandle } from '../db/database.js';
import { createMailer, type Mailer } from '../notification/mailer.js';
import { MailNotifier, type Notifier } from '../notification/notifier.js';
import { ChannelService } from './channel.service.js';
import { DeliveryService } from './delivery.service.js';
import { Dispatcher } from './dispatcher.js';
import { EncryptionKeyService } from './encryption-key.service.js';
import { OutboundPolicy } from './outbound-policy.js';
import type { PublicationFileSource } from './publication-file-source.js';
import { FtpTransport } from './transports/ftp.transport.js';
import { SftpTransport } from './transports/sftp.transport.js';
import { SmtpTransport } from './transports/smtp.transport.js';

export interface DeliveryServices {
  mailer: Mailer;
  notifier: Notifier;
  channels: ChannelService;
  keys: EncryptionKeyService;
  deliveries: DeliveryService;
  /** A dispatcher reading publications from `files` (the archive). */
  dispatcher(files: PublicationFileSource, options?: { workerId?: string }): Dispatcher;
}

/**
 * Wires mail, channels, keys and deliveries from the configuration: mail goes to `PUBLIWATT_SMTP_URL`
 * or to `<data dir>/outbox/`; secrets and keys are sealed with the master key; SFTP and FTP connections
 * go only to public addresses and those of `PUBLIWATT_CHANNEL_ALLOW`.
 */
export function createDeliveryServices(input: {
  config: Pick<Config, 'smtpUrl' | 'dataDir' | 'masterKey' | 'channelAllow'>;
  handle: DatabaseHandle;
  clock: Clock;
  /** Base URL of the portal, for confirmation links and archive links in e-mails. */
  portalUrl: string;
  maxAttachmentBytes?: number;
  /** Replaces the configured mailer (tests record messages). */
  mailer?: Mailer;
  /** Replaces the mail notifier of data managers (tests record notices). */
  notifier?: Notifier;
  /** Receives the raw causes of failed tests and deliveries (customers see fixed words only). */
  logger?: Pick<Logger, 'warn'>;
  /** How long a failed channel test takes to answer (tests shorten it). */
  testFailureDelayMs?: number;
}): DeliveryServices {
  const { config, handle, clock, portalUrl } = input;
  const cipher = new MasterCipher(config.masterKey);
  const mailer =
    input.mailer ??
    createMailer({
      smtpUrl: config.smtpUrl,
      outboxDir: path.join(config.dataDir, 'outbox'),
      clock,
    });
  const notifier = input.notifier ?? new MailNotifier(handle.db, mailer);
  const policy = new OutboundPolicy({ allow: config.channelAllow });
  const sftp = new SftpTransport({ policy });
  const ftp = new FtpTransport({ policy });
  const channels = new ChannelService({
    db: handle.db,
    clock,
    cipher,
    mailer,
    transports: { sftp, ftp },
    portalUrl,
    policy,
    logger: input.logger,
    testFailureDelayMs: input.testFailureDelayMs,
  });
  const keys = new EncryptionKeyService(handle.db, cipher, clock);
  const transports = {
    email: new SmtpTransport(mailer, { maxAttachmentBytes: input.maxAttachmentBytes }),
    sftp,
    ftps: ftp,
    ftp,
  };
  return {
    mailer,
    notifier,
    channels,
    keys,
    deliveries: new DeliveryService(handle, clock),
    dispatcher: (files, options = {}) =>
      new Dispatcher({
        handle,
        clock,
        files,
        keys,
        channels,
        transports,
        notifier,
        portalUrl,
        workerId: options.workerId,
        logger: input.logger,
      }),
  };
}
