import { randomBytes } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { MasterCipher } from '../crypto/master-cipher.js';
import { AuditRepository } from '../db/audit.repository.js';
import { CustomerKeyRepository } from '../db/customer-key.repository.js';
import type { Db } from '../db/database.js';
import { AppError } from '../domain/app-error.js';
import { requireDataManager, type ServiceActor } from '../domain/service-actor.js';

export interface CustomerKey {
  version: number;
  key: Buffer;
}

export interface KeyMetadata {
  /** The version new deliveries use. */
  version: number;
  createdAt: string;
  /** Every version, newest first; retired ones decrypt files sent before the rotation. */
  versions: Array<{ version: number; createdAt: string; retiredAt: string | null }>;
}

const SYSTEM = { type: 'system', id: null, label: 'publiwatt' } as const;

/**
 * The customer encryption key of each entreprise: 32 random bytes, versioned, sealed with the master
 * key. New deliveries use the current version; a rotation retires the previous versions, which stay
 * readable so that files already sent can still be decrypted (each delivery records its version).
 */
export class EncryptionKeyService {
  constructor(
    private readonly db: Db,
    private readonly cipher: MasterCipher,
    private readonly clock: Clock,
  ) {}

  /** The key new deliveries use; created (version 1) on first need. */
  async current(entrepriseId: number): Promise<CustomerKey> {
    const keys = new CustomerKeyRepository(this.db);
    let row = await keys.current(entrepriseId);
    if (!row) {
      await this.create(entrepriseId, 1).catch(() => undefined); // a concurrent creator won: read theirs
      row = await keys.current(entrepriseId);
    }
    if (!row) throw new AppError('INTERNAL', `no encryption key for entreprise ${entrepriseId}`);
    return { version: row.version, key: Buffer.from(this.cipher.openString(row.key_sealed), 'hex') };
  }

  /** What may be shown without the password: versions and dates, never key bytes. */
  async describe(entrepriseId: number): Promise<KeyMetadata> {
    await this.current(entrepriseId);
    const rows = await new CustomerKeyRepository(this.db).listVersions(entrepriseId);
    const versions = rows.map((row) => ({
      version: row.version,
      createdAt: row.created_at,
      retiredAt: row.retired_at,
    }));
    const current = versions.find((v) => v.retiredAt === null) ?? versions[0]!;
    return { version: current.version, createdAt: current.createdAt, versions };
  }

  async byVersion(entrepriseId: number, version: number): Promise<CustomerKey> {
    const row = await new CustomerKeyRepository(this.db).byVersion(entrepriseId, version);
    if (!row) throw new AppError('NOT_FOUND', `no key version ${version} for entreprise ${entrepriseId}`);
    return { version, key: Buffer.from(this.cipher.openString(row.key_sealed), 'hex') };
  }

  private async create(entrepriseId: number, version: number): Promise<void> {
    const now = this.clock.now();
    await this.db.transaction().execute(async (trx) => {
      await new CustomerKeyRepository(trx).insert(
        entrepriseId,
        version,
        this.cipher.sealString(randomBytes(32).toString('hex')),
        now,
      );
      await new AuditRepository(trx).append(
        {
          actor: SYSTEM,
          entrepriseId,
          action: 'encryption-key.created',
          target: `encryption-key:v${version}`,
        },
        now,
      );
    });
  }

  /**
   * Shows the key (64 hex) after the user re-entered their password; every reveal, and every refusal,
   * is audited. `verifyPassword` checks the password against the signed-in user's hash.
   */
  async reveal(
    actor: ServiceActor,
    input: { password: string; verifyPassword: (password: string) => Promise<boolean>; version?: number },
  ): Promise<{ version: number; hex: string }> {
    requireDataManager(actor);
    const audit = new AuditRepository(this.db);
    const auditActor = { type: actor.type, id: actor.id, label: actor.label };
    if (!(await input.verifyPassword(input.password))) {
      await audit.append(
        {
          actor: auditActor,
          entrepriseId: actor.entrepriseId,
          action: 'encryption-key.reveal-refused',
          target: 'encryption-key',
        },
        this.clock.now(),
      );
      throw new AppError('PASSWORD_CONFIRMATION_FAILED', `wrong password for ${actor.label}`);
    }
    const key =
      input.version === undefined
        ? await this.current(actor.entrepriseId)
        : await this.byVersion(actor.entrepriseId, input.version);
    await audit.append(
      {
        actor: auditActor,
        entrepriseId: actor.entrepriseId,
        action: 'encryption-key.revealed',
        target: `encryption-key:v${key.version}`,
      },
      this.clock.now(),
    );
    return { version: key.version, hex: key.key.toString('hex') };
  }

  /** A new version becomes current; older versions are retired (kept for files already sent). */
  async rotate(actor: ServiceActor): Promise<{ version: number }> {
    requireDataManager(actor);
    await this.current(actor.entrepriseId);
    const now = this.clock.now();
    return this.db.transaction().execute(async (trx) => {
      const keys = new CustomerKeyRepository(trx);
      const previous = await keys.latestVersion(actor.entrepriseId);
      const version = previous + 1;
      await keys.insert(
        actor.entrepriseId,
        version,
        this.cipher.sealString(randomBytes(32).toString('hex')),
        now,
      );
      await keys.retireAllBefore(actor.entrepriseId, version, now);
      await new AuditRepository(trx).append(
        {
          actor: { type: actor.type, id: actor.id, label: actor.label },
          entrepriseId: actor.entrepriseId,
          action: 'encryption-key.rotated',
          target: `encryption-key:v${version}`,
          before: { version: previous },
          after: { version },
        },
        now,
      );
      return { version };
    });
  }
}
