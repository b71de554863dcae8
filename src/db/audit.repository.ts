import { sql, type Insertable, type Selectable } from 'kysely';
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

/**
 * Narrows a listing to the entries a perimeter-limited reader sees (the rule: `auth/audit-scope.ts`).
 * Targets kept: `siren:` of `sirens`; `prm:` of PRMs attached to them and to no other SIREN of the
 * entreprise; `subscription:` and `delivery:` of their subscriptions and publications; `user:` and
 * `api_token:` of `userIds`. Anything else (the entreprise, channels, the key) is left out.
 */
export interface AuditScope {
  /** Never empty: a reader with no SIREN sees nothing, and is not asked about. */
  sirens: readonly string[];
  userIds: readonly number[];
  /** Entries left out whatever their target. */
  excludedIds: readonly number[];
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

  /** Newest first, scoped to one entreprise, and to `scope` when given. */
  async listForEntreprise(
    entrepriseId: number,
    options: { action?: string; limit?: number; offset?: number; scope?: AuditScope } = {},
  ): Promise<AuditRecord[]> {
    let query = this.db.selectFrom('audit_log').selectAll().where('entreprise_id', '=', entrepriseId);
    if (options.action) query = query.where('action', 'like', `${options.action}%`);
    if (options.scope) {
      query = query.where('target', 'in', this.targetsIn(entrepriseId, options.scope));
      if (options.scope.excludedIds.length > 0) {
        query = query.where('id', 'not in', [...options.scope.excludedIds]);
      }
    }
    const rows = await query
      .orderBy('id', 'desc')
      .limit(options.limit ?? 100)
      .offset(options.offset ?? 0)
      .execute();
    return rows.map(toRecord);
  }

  /** The entries about these targets that record a value (before or after), oldest first. */
  async listWithValuesFor(entrepriseId: number, targets: readonly string[]): Promise<AuditRecord[]> {
    if (targets.length === 0) return [];
    const rows = await this.db
      .selectFrom('audit_log')
      .selectAll()
      .where('entreprise_id', '=', entrepriseId)
      .where('target', 'in', [...targets])
      .where((eb) => eb.or([eb('before_value', 'is not', null), eb('after_value', 'is not', null)]))
      .orderBy('id')
      .execute();
    return rows.map(toRecord);
  }

  /** The targets `scope` keeps, as one subquery (a semi-join on both engines). */
  private targetsIn(entrepriseId: number, scope: AuditScope) {
    const sirens = [...scope.sirens];
    const targetOf = (kind: string, id: string) =>
      sql<string>`${sql.lit(`${kind}:`)} || cast(${sql.ref(id)} as text)`.as('target');
    let targets = this.db
      .selectFrom('siren')
      .select(targetOf('siren', 'siren.siren'))
      .where('siren.entreprise_id', '=', entrepriseId)
      .where('siren.siren', 'in', sirens)
      .unionAll(
        this.db
          .selectFrom('prm_attachment as a')
          .select(targetOf('prm', 'a.prm'))
          .where('a.siren', 'in', sirens)
          .where(({ not, exists, selectFrom }) =>
            not(
              exists(
                selectFrom('prm_attachment as b')
                  .innerJoin('siren as s', 's.siren', 'b.siren')
                  .select('b.id')
                  .whereRef('b.prm', '=', 'a.prm')
                  .where('s.entreprise_id', '=', entrepriseId)
                  .where('b.siren', 'not in', sirens),
              ),
            ),
          ),
      )
      .unionAll(
        this.db
          .selectFrom('subscription')
          .select(targetOf('subscription', 'subscription.id'))
          .where('subscription.entreprise_id', '=', entrepriseId)
          .where('subscription.siren', 'in', sirens),
      )
      .unionAll(
        this.db
          .selectFrom('delivery')
          .innerJoin('publication', 'publication.id', 'delivery.publication_id')
          .select(targetOf('delivery', 'delivery.id'))
          .where('delivery.entreprise_id', '=', entrepriseId)
          .where('publication.siren', 'in', sirens),
      );
    if (scope.userIds.length > 0) {
      const userIds = [...scope.userIds];
      targets = targets
        .unionAll(
          this.db
            .selectFrom('app_user')
            .select(targetOf('user', 'app_user.id'))
            .where('app_user.entreprise_id', '=', entrepriseId)
            .where('app_user.id', 'in', userIds),
        )
        .unionAll(
          this.db
            .selectFrom('api_token')
            .select(targetOf('api_token', 'api_token.id'))
            .where('api_token.user_id', 'in', userIds),
        );
    }
    return targets;
  }
}

function toRecord(row: Selectable<AuditLogTable>): AuditRecord {
  return {
    id: row.id,
    at: row.at,
    actor: { type: row.actor_type as AuditActor['type'], id: row.actor_id, label: row.actor_label },
    entrepriseId: row.entreprise_id,
    action: row.action,
    target: row.target,
    before: row.before_value === null ? undefined : (JSON.parse(row.before_value) as unknown),
    after: row.after_value === null ? undefined : (JSON.parse(row.after_value) as unknown),
  };
}
