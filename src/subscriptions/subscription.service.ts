import { randomInt } from 'node:crypto';
import { AppError } from '../domain/app-error.js';
import {
  DATA_TYPE_LABELS,
  FREQUENCY_LABELS,
  catalogEntries,
  codeFluxOf,
  etapeMetierOf,
  isInCatalog,
  type CodeFlux,
  type DataType,
  type EtapeMetier,
  type FileFormat,
  type Frequency,
} from '../domain/catalog.js';
import type { Category } from '../domain/identifiers.js';
import {
  checkChannelAssociationAllowed,
  checkFormatAllowed,
  effectiveAtFor,
  isCsvAllowed,
  statusAt,
  type SubscriptionStatus,
} from '../domain/subscription-rules.js';
import { AuditRepository, type AuditActor } from '../db/audit.repository.js';
import type { Db } from '../db/database.js';
import { isUniqueViolation } from '../db/db-errors.js';
import { PrmRepository } from '../db/prm.repository.js';
import { SubscriptionRepository, type SubscriptionRecord } from '../db/subscription.repository.js';
import { localDayOf } from '../domain/paris-calendar.js';

/** A channel receiving a subscription, as the grid shows it. */
export interface ChannelRef {
  id: number;
  label: string;
}

/** Where the grid finds each subscription's channels (implemented with the channels). */
export interface SubscriptionChannelLookup {
  channelsOf(subscriptionIds: readonly number[]): Promise<ReadonlyMap<number, ChannelRef[]>>;
}

export const NO_CHANNELS: SubscriptionChannelLookup = {
  channelsOf: () => Promise.resolve(new Map()),
};

export interface GridLine {
  dataType: DataType;
  frequency: Frequency;
  /** French labels of the portal: `Courbe de charge brute`, `Quotidienne`. */
  dataTypeLabel: string;
  frequencyLabel: string;
  codeFlux: CodeFlux;
  etapeMetier: EtapeMetier;
  subscribed: boolean;
  subscriptionId: number | null;
  idDemande: string | null;
  format: FileFormat | null;
  status: SubscriptionStatus | 'NOT_SUBSCRIBED';
  requestedAt: Date | null;
  effectiveAt: Date | null;
  channels: ChannelRef[];
}

export interface Grid {
  siren: string;
  category: Category;
  /** PRMs of the SIREN in the category attached today (the 100-PRM format rule counts these). */
  prmCount: number;
  csvAllowed: boolean;
  lines: GridLine[];
}

/** One line of an edited grid, as the portal or an API client sends it. */
export interface GridEdit {
  dataType: string;
  frequency: string;
  subscribed: boolean;
  /** Required when subscribing; for a live subscription, a different value changes its format. */
  format?: FileFormat;
}

export type GridChange =
  | { kind: 'subscribed'; subscription: SubscriptionRecord }
  | { kind: 'unsubscribed'; subscription: SubscriptionRecord }
  | { kind: 'format_changed'; subscription: SubscriptionRecord; from: FileFormat; to: FileFormat };

/** R6X-like `idDemande`: `M` and 7 base-36 characters (`M0000KY0`). */
export function newIdDemande(): string {
  let id = 'M';
  for (let i = 0; i < 7; i++) id += '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ'[randomInt(36)]!;
  return id;
}

/** Reads and edits the subscription grid of a SIREN and category. The caller has checked the scope. */
export class SubscriptionService {
  constructor(
    private readonly db: Db,
    private readonly options: { channels?: SubscriptionChannelLookup; idDemande?: () => string } = {},
  ) {}

  async readGrid(siren: string, category: Category, now: Date): Promise<Grid> {
    const prmCount = await new PrmRepository(this.db).countAttachedOn(siren, category, localDayOf(now));
    const live = await new SubscriptionRepository(this.db).listLive(siren, category);
    const channels = await (this.options.channels ?? NO_CHANNELS).channelsOf(live.map((s) => s.id));
    const lines = catalogEntries(category).map(({ dataType, frequency }): GridLine => {
      const sub = live.find((s) => s.dataType === dataType && s.frequency === frequency);
      return {
        dataType,
        frequency,
        dataTypeLabel: DATA_TYPE_LABELS[dataType],
        frequencyLabel: FREQUENCY_LABELS[frequency],
        codeFlux: codeFluxOf(category, dataType),
        etapeMetier: etapeMetierOf(dataType),
        subscribed: sub !== undefined,
        subscriptionId: sub?.id ?? null,
        idDemande: sub?.idDemande ?? null,
        format: sub?.format ?? null,
        status: sub ? statusAt(sub, now) : 'NOT_SUBSCRIBED',
        requestedAt: sub?.requestedAt ?? null,
        effectiveAt: sub?.effectiveAt ?? null,
        channels: (sub && channels.get(sub.id)) ?? [],
      };
    });
    return { siren, category, prmCount, csvAllowed: isCsvAllowed(prmCount), lines };
  }

  /**
   * The subscription a channel is about to be associated with ("Gérer la publication"): of this
   * entreprise (else NOT_FOUND) and effective (else SUBSCRIPTION_NOT_YET_EFFECTIVE / SUBSCRIPTION_ENDED).
   */
  async requireChannelAssociable(
    entrepriseId: number,
    subscriptionId: number,
    now: Date,
  ): Promise<SubscriptionRecord> {
    const subscription = await new SubscriptionRepository(this.db).findInEntreprise(
      entrepriseId,
      subscriptionId,
    );
    if (!subscription)
      throw new AppError('NOT_FOUND', `no subscription ${subscriptionId} in this entreprise`);
    checkChannelAssociationAllowed(subscription, now);
    return subscription;
  }

  /**
   * Applies an edited grid in one transaction: subscribe (effective 72 h later), unsubscribe (at once),
   * change format (from the next window). Every line is checked before anything is written; the first
   * invalid line rejects the whole grid with an error naming it (`params.line`, 1-based). Lines left
   * out are unchanged. Every change is audited.
   */
  async applyGrid(
    scope: { entrepriseId: number; siren: string; category: Category },
    edits: readonly GridEdit[],
    actor: AuditActor,
    now: Date,
  ): Promise<GridChange[]> {
    try {
      return await this.applyGridOnce(scope, edits, actor, now);
    } catch (error) {
      // Another save of the same grid committed first (the live-subscription unique index).
      if (isUniqueViolation(error)) {
        throw new AppError('CONCURRENT_CHANGE', 'the grid was changed concurrently', {}, { cause: error });
      }
      throw error;
    }
  }

  private async applyGridOnce(
    scope: { entrepriseId: number; siren: string; category: Category },
    edits: readonly GridEdit[],
    actor: AuditActor,
    now: Date,
  ): Promise<GridChange[]> {
    return this.db.transaction().execute(async (trx) => {
      const subscriptions = new SubscriptionRepository(trx);
      const audit = new AuditRepository(trx);
      const prmCount = await new PrmRepository(trx).countAttachedOn(
        scope.siren,
        scope.category,
        localDayOf(now),
      );
      const live = await subscriptions.listLive(scope.siren, scope.category);
      type Planned =
        | { kind: 'subscribe'; dataType: DataType; frequency: Frequency; format: FileFormat }
        | { kind: 'unsubscribe'; subscription: SubscriptionRecord }
        | { kind: 'format'; subscription: SubscriptionRecord; format: FileFormat };
      const planned: Planned[] = [];
      const seen = new Set<string>();
      edits.forEach((edit, index) => {
        const line = index + 1;
        const lineParams = { line, dataType: edit.dataType, frequency: edit.frequency };
        try {
          if (!isInCatalog(scope.category, edit.dataType, edit.frequency)) {
            throw new AppError(
              'NOT_IN_CATALOG',
              `${edit.dataType}/${edit.frequency} is not offered in category ${scope.category}`,
            );
          }
          const key = `${edit.dataType}/${edit.frequency}`;
          if (seen.has(key)) throw new AppError('DUPLICATE_GRID_LINE', `${key} appears twice`);
          seen.add(key);
          const dataType = edit.dataType as DataType;
          const frequency = edit.frequency as Frequency;
          const current = live.find((s) => s.dataType === dataType && s.frequency === frequency);
          if (!edit.subscribed) {
            if (current) planned.push({ kind: 'unsubscribe', subscription: current });
            return;
          }
          if (!current) {
            if (!edit.format) throw new AppError('INVALID_INPUT', 'a format is needed to subscribe');
            checkFormatAllowed(edit.format, prmCount);
            planned.push({ kind: 'subscribe', dataType, frequency, format: edit.format });
          } else if (edit.format && edit.format !== current.format) {
            checkFormatAllowed(edit.format, prmCount);
            planned.push({ kind: 'format', subscription: current, format: edit.format });
          }
        } catch (error) {
          if (!(error instanceof AppError)) throw error;
          throw new AppError(error.code, `grid line ${line}: ${error.detail}`, {
            ...error.params,
            ...lineParams,
          });
        }
      });

      const changes: GridChange[] = [];
      for (const step of planned) {
        if (step.kind === 'subscribe') {
          const record = {
            entrepriseId: scope.entrepriseId,
            siren: scope.siren,
            category: scope.category,
            dataType: step.dataType,
            frequency: step.frequency,
            format: step.format,
            idDemande: (this.options.idDemande ?? newIdDemande)(),
            requestedAt: now,
            effectiveAt: effectiveAtFor(now),
            requestedBy: actor.label,
          };
          const id = await subscriptions.insert(record);
          const subscription: SubscriptionRecord = { ...record, id, endedAt: null };
          await audit.append(
            {
              actor,
              entrepriseId: scope.entrepriseId,
              action: 'subscription.created',
              target: `subscription:${id}`,
              after: describe(subscription),
            },
            now,
          );
          changes.push({ kind: 'subscribed', subscription });
        } else if (step.kind === 'unsubscribe') {
          await subscriptions.end(step.subscription.id, now);
          await audit.append(
            {
              actor,
              entrepriseId: scope.entrepriseId,
              action: 'subscription.ended',
              target: `subscription:${step.subscription.id}`,
              before: describe(step.subscription),
              after: { ...describe(step.subscription), endedAt: now.toISOString() },
            },
            now,
          );
          changes.push({ kind: 'unsubscribed', subscription: { ...step.subscription, endedAt: now } });
        } else {
          await subscriptions.changeFormat(step.subscription.id, step.format, now, 'REQUEST');
          await audit.append(
            {
              actor,
              entrepriseId: scope.entrepriseId,
              action: 'subscription.format_changed',
              target: `subscription:${step.subscription.id}`,
              before: { format: step.subscription.format },
              after: { format: step.format, appliesToWindowsFrom: now.toISOString() },
            },
            now,
          );
          changes.push({
            kind: 'format_changed',
            subscription: { ...step.subscription, format: step.format },
            from: step.subscription.format,
            to: step.format,
          });
        }
      }
      return changes;
    });
  }
}

function describe(subscription: SubscriptionRecord): Record<string, string> {
  return {
    siren: subscription.siren,
    category: subscription.category,
    dataType: subscription.dataType,
    frequency: subscription.frequency,
    format: subscription.format,
    idDemande: subscription.idDemande,
    requestedAt: subscription.requestedAt.toISOString(),
    effectiveAt: subscription.effectiveAt.toISOString(),
  };
}
