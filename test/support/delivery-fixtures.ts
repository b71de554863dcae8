import { Readable } from 'node:stream';
import type { Logger } from 'pino';
import type { Clock } from '../../src/clock.js';
import { MasterCipher } from '../../src/crypto/master-cipher.js';
import type { DatabaseHandle } from '../../src/db/database.js';
import { EntrepriseRepository } from '../../src/db/entreprise.repository.js';
import { UserRepository } from '../../src/db/user.repository.js';
import { ChannelService } from '../../src/delivery/channel.service.js';
import { DeliveryService } from '../../src/delivery/delivery.service.js';
import { Dispatcher } from '../../src/delivery/dispatcher.js';
import { EncryptionKeyService } from '../../src/delivery/encryption-key.service.js';
import { OutboundPolicy } from '../../src/delivery/outbound-policy.js';
import type { PublicationFileSource } from '../../src/delivery/publication-file-source.js';
import type { DeliveryTransport } from '../../src/delivery/transports/delivery-transport.js';
import { FtpTransport } from '../../src/delivery/transports/ftp.transport.js';
import { SftpTransport } from '../../src/delivery/transports/sftp.transport.js';
import { SmtpTransport } from '../../src/delivery/transports/smtp.transport.js';
import type { ChannelKind } from '../../src/db/schema.js';
import type { Habilitation } from '../../src/domain/habilitations.js';
import type { ServiceActor } from '../../src/domain/service-actor.js';
import type { Mail, Mailer } from '../../src/notification/mailer.js';
import { MailNotifier } from '../../src/notification/notifier.js';

export const TEST_MASTER_KEY = Buffer.alloc(32, 0x5a);

/** A Mailer that keeps messages in memory (attachments read into buffers). */
export class CapturingMailer implements Mailer {
  readonly sent: Array<Mail & { attachmentBytes: Buffer[] }> = [];

  async send(mail: Mail): Promise<void> {
    const attachmentBytes: Buffer[] = [];
    for (const attachment of mail.attachments ?? []) {
      const content = attachment.content;
      if (Buffer.isBuffer(content)) attachmentBytes.push(content);
      else {
        const chunks: Buffer[] = [];
        for await (const chunk of content) chunks.push(chunk as Buffer);
        attachmentBytes.push(Buffer.concat(chunks));
      }
    }
    this.sent.push({ ...mail, attachmentBytes });
  }

  /** The confirmation token of the last link mailed to `to`. */
  confirmationToken(to: string): string {
    const mail = [...this.sent].reverse().find((m) => m.to === to);
    const match = /jeton=([A-Za-z0-9_-]+)/.exec(mail?.text ?? '');
    if (!match) throw new Error(`no confirmation link mailed to ${to}`);
    return match[1]!;
  }
}

/** Archived zips in memory, as the archive will serve them. */
export class MemoryFileSource implements PublicationFileSource {
  readonly files = new Map<number, { fileName: string; zip: Buffer }>();

  add(publicationId: number, fileName: string, zip: Buffer): void {
    this.files.set(publicationId, { fileName, zip });
  }

  open(publicationId: number) {
    const file = this.files.get(publicationId);
    if (!file) return Promise.reject(new Error(`publication ${publicationId} not archived`));
    return Promise.resolve({
      fileName: file.fileName,
      size: file.zip.length,
      stream: () => Readable.from([file.zip]),
    });
  }
}

export function actorFor(
  entrepriseId: number,
  habilitations: Habilitation[] = ['GESTION_SERVICES_DONNEES'],
  label = 'gestion@client.example',
): ServiceActor {
  return { type: 'user', id: '1', label, entrepriseId, habilitations };
}

/** An entreprise with a data manager and a consultation-only user; returns its id. */
export async function seedDeliveryEntreprise(
  db: DatabaseHandle['db'],
  name: string,
  now: Date,
): Promise<number> {
  const entreprises = new EntrepriseRepository(db);
  const id = await entreprises.insert(name, now);
  const users = new UserRepository(db);
  const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  for (const [local, habilitations] of [
    ['gestion', ['GESTION_SERVICES_DONNEES', 'CONSULTATION']],
    ['lecture', ['CONSULTATION']],
  ] as const) {
    await users.insert(
      {
        entrepriseId: id,
        email: `${local}@${slug}.example`,
        displayName: `${local} ${name}`,
        passwordHash: 'not-used',
        habilitations: [...habilitations],
        sirenPerimeter: null,
        active: true,
      },
      now,
    );
  }
  return id;
}

export interface DeliveryStack {
  channels: ChannelService;
  keys: EncryptionKeyService;
  deliveries: DeliveryService;
  files: MemoryFileSource;
  mailer: CapturingMailer;
  transports: Record<ChannelKind, DeliveryTransport>;
  dispatcher(options?: {
    workerId?: string;
    handle?: DatabaseHandle;
    transports?: Partial<Record<ChannelKind, DeliveryTransport>>;
    batchSize?: number;
  }): Dispatcher;
}

/** Loopback, where the test servers listen: only suites that use them open it, explicitly. */
export const LOOPBACK_ALLOW: readonly string[] = ['127.0.0.1/32'];

/** A logger that keeps what the delivery services warn about (the raw causes of failures). */
export class CapturingLog {
  readonly warnings: Array<{ details: unknown; message: string | undefined }> = [];
  readonly warn = ((details: unknown, message?: string) => {
    this.warnings.push({ details, message });
  }) as Logger['warn'];
}

/** The delivery services wired as `serve` will wire them, with real transports and a capturing mailer. */
export function deliveryStack(
  handle: DatabaseHandle,
  clock: Clock,
  options: {
    smtpMailer?: Mailer;
    /** `PUBLIWATT_CHANNEL_ALLOW` as parsed; none by default, like an unset variable. */
    channelAllow?: readonly string[];
    /** Connection limit of the SFTP and FTP transports (8 s by default). */
    transportTimeoutMs?: number;
    /** How long a failed test takes to answer (0 by default: suites that check it set it). */
    testFailureDelayMs?: number;
    logger?: Pick<Logger, 'warn'>;
  } = {},
): DeliveryStack {
  const cipher = new MasterCipher(TEST_MASTER_KEY);
  const mailer = new CapturingMailer();
  const policy = new OutboundPolicy({ allow: options.channelAllow });
  const timeoutMs = options.transportTimeoutMs ?? 8000;
  const sftp = new SftpTransport({ timeoutMs, policy });
  const ftp = new FtpTransport({ timeoutMs, policy });
  const channelOptions = {
    policy,
    testFailureDelayMs: options.testFailureDelayMs ?? 0,
    logger: options.logger,
  };
  const transports: Record<ChannelKind, DeliveryTransport> = {
    email: new SmtpTransport(options.smtpMailer ?? mailer),
    sftp,
    ftps: ftp,
    ftp,
  };
  const channels = new ChannelService({
    db: handle.db,
    clock,
    cipher,
    mailer,
    transports: { sftp, ftp },
    portalUrl: 'http://localhost:3000',
    ...channelOptions,
  });
  const keys = new EncryptionKeyService(handle.db, cipher, clock);
  const files = new MemoryFileSource();
  return {
    channels,
    keys,
    deliveries: new DeliveryService(handle, clock),
    files,
    mailer,
    transports,
    dispatcher: (d = {}) => {
      const h = d.handle ?? handle;
      const c = new ChannelService({
        db: h.db,
        clock,
        cipher,
        mailer,
        transports: { sftp, ftp },
        portalUrl: 'http://localhost:3000',
        ...channelOptions,
      });
      return new Dispatcher({
        handle: h,
        clock,
        files,
        keys: new EncryptionKeyService(h.db, cipher, clock),
        channels: c,
        transports: { ...transports, ...d.transports },
        notifier: new MailNotifier(h.db, mailer),
        portalUrl: 'http://localhost:3000',
        workerId: d.workerId,
        batchSize: d.batchSize,
        random: () => 0.5,
        logger: options.logger,
      });
    },
  };
}
