import { createHash, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { MasterCipher } from '../crypto/master-cipher.js';
import { AuditRepository } from '../db/audit.repository.js';
import { ChannelRepository, type ChannelRow } from '../db/channel.repository.js';
import type { Db } from '../db/database.js';
import { parisDateTimeOf } from '../domain/french-dates.js';
import type { ChannelKind, ChannelStatus } from '../db/schema.js';
import { AppError } from '../domain/app-error.js';
import { requireDataManager, type ServiceActor } from '../domain/service-actor.js';
import type { Mailer } from '../notification/mailer.js';
import { OutboundPolicy } from './outbound-policy.js';
import type {
  ChannelTarget,
  ChannelTestReport,
  ServerTransport,
  TestStep,
} from './transports/delivery-transport.js';

/** What reads return: never the secret, only whether one is set. */
export interface ChannelView {
  id: number;
  entrepriseId: number;
  kind: ChannelKind;
  label: string;
  status: ChannelStatus;
  email: string | null;
  host: string | null;
  port: number | null;
  username: string | null;
  remoteDir: string | null;
  authKind: 'password' | 'key' | null;
  hasSecret: boolean;
  hostKeyFingerprint: string | null;
  allowSelfSigned: boolean;
  /** Plain FTP: credentials and files travel in clear. */
  insecure: boolean;
  confirmedAt: string | null;
  lastTest: { at: string; ok: boolean; steps: TestStep[] } | null;
  createdAt: string;
  updatedAt: string;
}

export interface ServerChannelInput {
  kind: 'sftp' | 'ftps' | 'ftp';
  label: string;
  host: string;
  port?: number;
  username: string;
  remoteDir?: string;
  authKind?: 'password' | 'key';
  /** Password or private key; on update, absent keeps the stored one. */
  secret?: string;
  allowSelfSigned?: boolean;
  /** Required `true` for plain FTP: the user acknowledged that it is not encrypted. */
  insecureAcknowledged?: boolean;
}

export interface ChannelServiceOptions {
  db: Db;
  clock: Clock;
  cipher: MasterCipher;
  mailer: Mailer;
  transports: { sftp: ServerTransport; ftp: ServerTransport };
  /** Base URL of the portal, for the confirmation link (`<portalUrl>/portail/canaux/confirmation?jeton=…`). */
  portalUrl: string;
  confirmationTtlHours?: number;
  /** The transports' outbound policy, to refuse hosts written as refused addresses when they are typed. */
  policy?: OutboundPolicy;
  /**
   * A failed test answers this long after it started (20 s by default, longer than a transport's
   * connection limit), so its timing tells nothing of what is behind the address.
   */
  testFailureDelayMs?: number;
  /** Where the raw cause of a failed test goes (never to the customer). */
  logger?: Pick<Logger, 'warn'>;
}

export const DEFAULT_TEST_FAILURE_DELAY_MS = 20_000;

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function invalid(reason: string): AppError {
  return new AppError('CHANNEL_INVALID', `invalid channel: ${reason}`, { reason });
}

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

function toView(row: ChannelRow): ChannelView {
  return {
    id: row.id,
    entrepriseId: row.entreprise_id,
    kind: row.kind,
    label: row.label,
    status: row.status,
    email: row.email,
    host: row.host,
    port: row.port,
    username: row.username,
    remoteDir: row.remote_dir,
    authKind: row.auth_kind,
    hasSecret: row.secret_sealed !== null,
    hostKeyFingerprint: row.host_key_fingerprint,
    allowSelfSigned: row.allow_self_signed === 1,
    insecure: row.kind === 'ftp',
    confirmedAt: row.confirmed_at,
    lastTest:
      row.last_test_at === null
        ? null
        : {
            at: row.last_test_at,
            ok: row.last_test_ok === 1,
            steps: JSON.parse(row.last_test_result ?? '[]') as TestStep[],
          },
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** The fields an audit entry shows: the view minus volatile parts (never a secret). */
function auditView(row: ChannelRow): Record<string, unknown> {
  const view: Partial<ChannelView> = toView(row);
  delete view.lastTest;
  delete view.createdAt;
  delete view.updatedAt;
  return view;
}

/**
 * Channels of an entreprise ("Vos canaux numériques"). A mistyped address or host must never receive
 * data: an e-mail channel becomes active only through its single-use, expiring confirmation link; a
 * server channel can be activated only after a successful test since its last change. Every change is
 * audited; secrets are sealed with the master key and never returned.
 */
export class ChannelService {
  private readonly ttlMs: number;
  private readonly policy: OutboundPolicy;

  constructor(private readonly options: ChannelServiceOptions) {
    this.ttlMs = (options.confirmationTtlHours ?? 48) * 3600_000;
    this.policy = options.policy ?? new OutboundPolicy();
  }

  private get db() {
    return this.options.db;
  }

  private async mustFind(actor: ServiceActor, id: number): Promise<ChannelRow> {
    const row = await new ChannelRepository(this.db).findInEntreprise(actor.entrepriseId, id);
    if (!row) throw new AppError('NOT_FOUND', `channel ${id} not found`);
    return row;
  }

  private async audit(
    db: Db,
    actor: ServiceActor,
    action: string,
    row: ChannelRow,
    before?: ChannelRow,
  ): Promise<void> {
    await new AuditRepository(db).append(
      {
        actor: { type: actor.type, id: actor.id, label: actor.label },
        entrepriseId: row.entreprise_id,
        action,
        target: `channel:${row.id}`,
        before: before && auditView(before),
        after: auditView(row),
      },
      this.options.clock.now(),
    );
  }

  async list(actor: ServiceActor): Promise<ChannelView[]> {
    return (await new ChannelRepository(this.db).listByEntreprise(actor.entrepriseId)).map(toView);
  }

  async get(actor: ServiceActor, id: number): Promise<ChannelView> {
    return toView(await this.mustFind(actor, id));
  }

  /** Creates an Inactif e-mail channel and mails the confirmation link to the address itself. */
  async createEmailChannel(
    actor: ServiceActor,
    input: { label: string; email: string },
  ): Promise<ChannelView> {
    requireDataManager(actor);
    const email = input.email.trim().toLowerCase();
    if (!EMAIL.test(email)) throw invalid(`« ${input.email} » n'est pas une adresse e-mail`);
    const label = input.label.trim() || email;
    const now = this.options.clock.now();
    const token = randomBytes(32).toString('base64url');
    const row = await this.db.transaction().execute(async (trx) => {
      const channels = new ChannelRepository(trx);
      const id = await channels.insert({
        entreprise_id: actor.entrepriseId,
        kind: 'email',
        label,
        email,
        allow_self_signed: 0,
        insecure_acknowledged: 0,
        status: 'INACTIF',
        confirmation_token_hash: hashToken(token),
        confirmation_expires_at: new Date(now.getTime() + this.ttlMs).toISOString(),
        created_at: now.toISOString(),
        updated_at: now.toISOString(),
      });
      const created = (await channels.findById(id))!;
      await this.audit(trx, actor, 'channel.created', created);
      return created;
    });
    await this.sendConfirmation(email, token, now);
    return toView(row);
  }

  private async sendConfirmation(email: string, token: string, now: Date): Promise<void> {
    const link = `${this.options.portalUrl.replace(/\/$/, '')}/portail/canaux/confirmation?jeton=${token}`;
    const until = parisDateTimeOf(new Date(now.getTime() + this.ttlMs));
    await this.options.mailer.send({
      to: email,
      subject: 'Publiwatt — confirmez cette adresse de réception',
      text:
        'Bonjour,\n\nCette adresse a été ajoutée comme canal de réception de fichiers de données énergétiques ' +
        `sur Publiwatt. Pour confirmer qu'elle est la bonne, ouvrez ce lien avant le ${until} :\n\n${link}\n\n` +
        "Si vous n'êtes pas à l'origine de cette demande, ignorez ce message : aucun fichier ne sera envoyé.\n",
    });
  }

  /** Sends a new link (the previous one stops working). */
  async resendConfirmation(actor: ServiceActor, id: number): Promise<void> {
    requireDataManager(actor);
    const row = await this.mustFind(actor, id);
    if (row.kind !== 'email' || row.confirmed_at !== null || !row.email) {
      throw invalid('seule une adresse e-mail non confirmée reçoit un lien de confirmation');
    }
    const now = this.options.clock.now();
    const token = randomBytes(32).toString('base64url');
    await new ChannelRepository(this.db).update(id, {
      confirmation_token_hash: hashToken(token),
      confirmation_expires_at: new Date(now.getTime() + this.ttlMs).toISOString(),
      updated_at: now.toISOString(),
    });
    await this.sendConfirmation(row.email, token, now);
  }

  /** Follows the link: single use, expiring; activates the address. Needs no session (the mailbox proves it). */
  async confirmEmail(token: string): Promise<ChannelView> {
    const now = this.options.clock.now();
    return this.db.transaction().execute(async (trx) => {
      const channels = new ChannelRepository(trx);
      const row = await channels.findByConfirmationHash(hashToken(token));
      if (!row || row.confirmation_expires_at === null || row.confirmation_expires_at <= now.toISOString()) {
        throw new AppError('CONFIRMATION_TOKEN_INVALID', 'unknown, used or expired confirmation token');
      }
      await channels.update(row.id, {
        confirmation_token_hash: null,
        confirmation_expires_at: null,
        confirmed_at: now.toISOString(),
        status: 'ACTIF',
        updated_at: now.toISOString(),
      });
      const confirmed = (await channels.findById(row.id))!;
      await this.audit(
        trx,
        {
          type: 'system',
          id: null,
          label: `lien de confirmation (${row.email})`,
          entrepriseId: row.entreprise_id,
          habilitations: [],
        },
        'channel.confirmed',
        confirmed,
        row,
      );
      return toView(confirmed);
    });
  }

  private validateServer(
    input: ServerChannelInput,
    existing?: ChannelRow,
  ): ServerChannelInput & { port: number } {
    if (!['sftp', 'ftps', 'ftp'].includes(input.kind)) throw invalid(`protocole « ${input.kind} » inconnu`);
    // An IPv6 address may come as URLs write it, in brackets.
    const host = input.host.trim().replace(/^\[([0-9A-Fa-f:.]+)\]$/, '$1');
    if (!/^[A-Za-z0-9.:-]+$/.test(host)) throw invalid(`hôte « ${input.host} » invalide`);
    // Only what needs no resolution is refused here; the check that counts is made when connecting.
    if (this.policy.refusedLiteral(host)) {
      throw invalid(
        `le champ « Hôte » (${host}) désigne une adresse non autorisée (boucle locale, réseau privé ou réservé)`,
      );
    }
    const port = input.port ?? (input.kind === 'sftp' ? 22 : 21);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw invalid(`port « ${port} » invalide`);
    if (!input.username.trim()) throw invalid('identifiant manquant');
    const authKind = input.authKind ?? 'password';
    if (input.kind !== 'sftp' && authKind !== 'password')
      throw invalid('FTP et FTPS n’acceptent que le mot de passe');
    if (input.secret === undefined && existing?.secret_sealed == null)
      throw invalid('mot de passe ou clé manquant');
    if (input.secret !== undefined && input.secret.length === 0) throw invalid('mot de passe ou clé vide');
    if (input.kind === 'ftp' && input.insecureAcknowledged !== true) {
      throw invalid('FTP sans chiffrement doit être choisi explicitement (insecureAcknowledged)');
    }
    if (input.kind !== 'ftps' && input.allowSelfSigned)
      throw invalid('certificat auto-signé : FTPS uniquement');
    return { ...input, host, port, username: input.username.trim(), authKind };
  }

  /** Creates an Inactif server channel; it can be activated after a successful test. */
  async createServerChannel(actor: ServiceActor, input: ServerChannelInput): Promise<ChannelView> {
    requireDataManager(actor);
    const valid = this.validateServer(input);
    const now = this.options.clock.now().toISOString();
    return this.db.transaction().execute(async (trx) => {
      const channels = new ChannelRepository(trx);
      const id = await channels.insert({
        entreprise_id: actor.entrepriseId,
        kind: valid.kind,
        label: valid.label.trim() || `${valid.kind}://${valid.host}`,
        host: valid.host,
        port: valid.port,
        username: valid.username,
        remote_dir: valid.remoteDir?.trim() || null,
        auth_kind: valid.authKind ?? 'password',
        secret_sealed: this.options.cipher.sealString(valid.secret!),
        allow_self_signed: valid.allowSelfSigned ? 1 : 0,
        insecure_acknowledged: valid.kind === 'ftp' ? 1 : 0,
        status: 'INACTIF',
        created_at: now,
        updated_at: now,
      });
      const created = (await channels.findById(id))!;
      await this.audit(trx, actor, 'channel.created', created);
      return toView(created);
    });
  }

  /**
   * Edits a server channel. A change of anything used to connect makes it Inactif until a new test
   * succeeds; a new host or port also drops the pinned host key (it is another server).
   */
  async updateServerChannel(
    actor: ServiceActor,
    id: number,
    input: ServerChannelInput,
  ): Promise<ChannelView> {
    requireDataManager(actor);
    const before = await this.mustFind(actor, id);
    if (before.kind === 'email')
      throw invalid('une adresse e-mail ne se modifie pas : ajoutez-en une nouvelle');
    const valid = this.validateServer(input, before);
    const connection = {
      kind: valid.kind,
      host: valid.host,
      port: valid.port,
      username: valid.username,
      remote_dir: valid.remoteDir?.trim() || null,
      auth_kind: valid.authKind ?? 'password',
      allow_self_signed: valid.allowSelfSigned ? 1 : 0,
      insecure_acknowledged: valid.kind === 'ftp' ? 1 : 0,
    };
    const changed =
      valid.secret !== undefined ||
      Object.entries(connection).some(([key, value]) => before[key as keyof ChannelRow] !== value);
    const newServer = before.host !== valid.host || before.port !== valid.port || before.kind !== valid.kind;
    const now = this.options.clock.now().toISOString();
    return this.db.transaction().execute(async (trx) => {
      const channels = new ChannelRepository(trx);
      await channels.update(id, {
        ...connection,
        label: valid.label.trim() || before.label,
        ...(valid.secret !== undefined
          ? { secret_sealed: this.options.cipher.sealString(valid.secret) }
          : {}),
        ...(changed
          ? { status: 'INACTIF' as const, last_test_ok: null, last_test_at: null, last_test_result: null }
          : {}),
        ...(newServer ? { host_key_fingerprint: null } : {}),
        updated_at: now,
      });
      const after = (await channels.findById(id))!;
      await this.audit(trx, actor, 'channel.updated', after, before);
      return toView(after);
    });
  }

  async activate(actor: ServiceActor, id: number): Promise<ChannelView> {
    requireDataManager(actor);
    const row = await this.mustFind(actor, id);
    const ready = row.kind === 'email' ? row.confirmed_at !== null : row.last_test_ok === 1;
    if (!ready) {
      throw new AppError(
        'CHANNEL_NOT_ACTIVABLE',
        `channel ${id} is not confirmed or not successfully tested`,
        {
          kind: row.kind,
        },
      );
    }
    return this.setStatus(actor, row, 'ACTIF');
  }

  async deactivate(actor: ServiceActor, id: number): Promise<ChannelView> {
    requireDataManager(actor);
    return this.setStatus(actor, await this.mustFind(actor, id), 'INACTIF');
  }

  private async setStatus(
    actor: ServiceActor,
    before: ChannelRow,
    status: ChannelStatus,
  ): Promise<ChannelView> {
    if (before.status === status) return toView(before);
    return this.db.transaction().execute(async (trx) => {
      const channels = new ChannelRepository(trx);
      await channels.update(before.id, { status, updated_at: this.options.clock.now().toISOString() });
      const after = (await channels.findById(before.id))!;
      await this.audit(
        trx,
        actor,
        status === 'ACTIF' ? 'channel.activated' : 'channel.deactivated',
        after,
        before,
      );
      return toView(after);
    });
  }

  /**
   * Tests a server for real: connect, write a small file under a temporary name, rename it, delete it.
   * The SFTP host key is pinned at the first success; afterwards a different key fails the test. A
   * failure is reported in fixed words and after a fixed delay; its raw cause goes to the log.
   */
  async test(actor: ServiceActor, id: number): Promise<ChannelTestReport> {
    requireDataManager(actor);
    const before = await this.mustFind(actor, id);
    if (before.kind === 'email')
      throw invalid('une adresse e-mail se confirme par le lien reçu, elle ne se teste pas');
    const target = this.toTarget(before);
    const transport = before.kind === 'sftp' ? this.options.transports.sftp : this.options.transports.ftp;
    const started = performance.now();
    const { failureDetail, ...report } = await transport.test(target);
    if (!report.ok) {
      this.options.logger?.warn(
        {
          channelId: id,
          entrepriseId: before.entreprise_id,
          host: before.host,
          port: before.port,
          failureDetail,
        },
        'channel test failed',
      );
    }
    const now = this.options.clock.now().toISOString();
    await this.db.transaction().execute(async (trx) => {
      const channels = new ChannelRepository(trx);
      await channels.update(id, {
        last_test_at: now,
        last_test_ok: report.ok ? 1 : 0,
        last_test_result: JSON.stringify(report.steps),
        ...(report.ok && before.kind === 'sftp' && before.host_key_fingerprint === null
          ? { host_key_fingerprint: report.hostKeyFingerprint ?? null }
          : {}),
        updated_at: now,
      });
      const after = (await channels.findById(id))!;
      await this.audit(trx, actor, 'channel.tested', after, before);
    });
    if (!report.ok) {
      const delay = this.options.testFailureDelayMs ?? DEFAULT_TEST_FAILURE_DELAY_MS;
      await sleep(Math.max(0, started + delay - performance.now()));
    }
    return report;
  }

  private toTarget(row: ChannelRow): ChannelTarget {
    return {
      id: row.id,
      entrepriseId: row.entreprise_id,
      kind: row.kind,
      label: row.label,
      email: row.email,
      host: row.host,
      port: row.port,
      username: row.username,
      remoteDir: row.remote_dir,
      authKind: row.auth_kind,
      secret: row.secret_sealed === null ? null : this.options.cipher.openString(row.secret_sealed),
      hostKeyFingerprint: row.host_key_fingerprint,
      allowSelfSigned: row.allow_self_signed === 1,
    };
  }

  /** Internal (dispatcher): the channel with its secret, or undefined when it is gone. */
  async loadTarget(channelId: number): Promise<{ target: ChannelTarget; status: ChannelStatus } | undefined> {
    const row = await new ChannelRepository(this.db).findById(channelId);
    return row && { target: this.toTarget(row), status: row.status };
  }
}
