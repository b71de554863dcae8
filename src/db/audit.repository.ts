import type { Insertable } from 'kysely';
import type { Db } from './database.js';
import type { AuditLogTable } from './schema.js';

export interface AuditActor {
  type: 'user' | 'operator' | 'system';
  id: string | null;
  /** Human-readable: an e-mail address, or the command that acted (`import-registry`). */
  label: string;
}

export interface AuditEntry {
  actor: AuditActor;
  entrepriseId: number | null;
  /** Dotted verb, e.g. `registry.prm.created`, `subscription.created`. */
  action: string;
  /** What was acted on, e.g. `prm:12345678901234`. */
  target: string;
  before?: unknown;
  after?: unknown;
}

export interface AuditRecord extends AuditEntry {
  id: number;
  at: string;
}

/** Rows per multi-row insert: 9 parameters each, well under SQLite's 32 766 and PostgreSQL's 65 535. */
const APPEND_BATCH = 2000;

function rowOf(entry: AuditEntry, at: Date): Insertable<AuditLogTable> {
  return {
    at: at.toISOString(),
    actor_type: entry.actor.type,
    actor_id: entry.actor.id,
    actor_label: entry.actor.label,
    entreprise_id: entry.entrepriseId,
    action: entry.action,
    target: entry.target,
    before_value: entry.before === undefined ? null : JSON.stringify(entry.before),
    after_value: entry.after === undefined ? null : JSON.stringify(entry.after),
  };
}

/** Append-only audit log: who, when, what, before and after. There is no update or delete method. */
export class AuditRepository {
  constructor(private readonly db: Db) {}

  async append(entry: AuditEntry, at: Date): Promise<void> {
    await this.db.insertInto('audit_log').values(rowOf(entry, at)).execute();
  }

  /** Appends entries in their order (ids follow it), many rows per statement. */
  async appendMany(entries: readonly AuditEntry[], at: Date): Promise<void> {
    for (let i = 0; i < entries.length; i += APPEND_BATCH) {
      await this.db
        .insertInto('audit_log')
        .values(entries.slice(i, i + APPEND_BATCH).map((entry) => rowOf(entry, at)))
        .execute();
    }
  }

  /** Newest first, scoped to one entreprise. */
  async listForEntreprise(
    entrepriseId: number,
    options: { action?: string; limit?: number; offset?: number } = {},
  ): Promise<AuditRecord[]> {
    let query = this.db.selectFrom('audit_log').selectAll().where('entreprise_id', '=', entrepriseId);
    if (options.action) query = query.where('action', 'like', `${options.action}%`);
    const rows = await query
      .orderBy('id', 'desc')
      .limit(options.limit ?? 100)
      .offset(options.offset ?? 0)
      .execute();
    return rows.map((row) => ({
      id: row.id,
      at: row.at,
      actor: { type: row.actor_type as AuditActor['type'], id: row.actor_id, label: row.actor_label },
      entrepriseId: row.entreprise_id,
      action: row.action,
      target: row.target,
      before: row.before_value === null ? undefined : (JSON.parse(row.before_value) as unknown),
      after: row.after_value === null ? undefined : (JSON.parse(row.after_value) as unknown),
    }));
  }
}
