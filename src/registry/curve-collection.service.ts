import { AuditRepository } from '../db/audit.repository.js';
import type { Db } from '../db/database.js';
import { PrmRepository, type PrmRecord } from '../db/prm.repository.js';
import { AppError } from '../domain/app-error.js';
import { localDayOf } from '../domain/paris-calendar.js';
import { requireDataManager, type ServiceActor } from '../domain/service-actor.js';

/** A category B PRM and whether its load curve is collected today. */
export interface CollectionState {
  prm: PrmRecord;
  siren: string;
  on: boolean;
  /** First day of the current period when on; last day it was on (exclusive end) when off, if ever. */
  since: string | null;
}

/**
 * "Gérer la collecte de la courbe de charge": category B PRMs collect their curve only on days a
 * collection period covers. Switching takes effect from today (Paris), never in the past; each
 * change is audited. Only GESTION_SERVICES_DONNEES may switch.
 */
export class CurveCollectionService {
  constructor(private readonly db: Db) {}

  async list(sirens: readonly string[], now: Date): Promise<CollectionState[]> {
    const today = localDayOf(now);
    const prms = new PrmRepository(this.db);
    const states: CollectionState[] = [];
    for (const siren of sirens) {
      for (const prm of await prms.listAttachedOn(siren, today, 'B')) {
        const periods = await prms.collectionPeriodsOf(prm.prm);
        const open = periods.find((p) => p.startDate <= today && (p.endDate === null || p.endDate > today));
        const last = periods.filter((p) => p.endDate !== null && p.endDate <= today).at(-1);
        states.push({
          prm,
          siren,
          on: open !== undefined,
          since: open ? open.startDate : (last?.endDate ?? null),
        });
      }
    }
    return states;
  }

  /**
   * Turns collection on or off from today for PRMs of category B attached today to one of `sirens`
   * (anything else is NOT_FOUND). All or nothing; returns the PRMs whose state changed.
   */
  async switch(
    actor: ServiceActor,
    sirens: readonly string[],
    prmIds: readonly string[],
    on: boolean,
    now: Date,
  ): Promise<string[]> {
    requireDataManager(actor);
    const today = localDayOf(now);
    return this.db.transaction().execute(async (trx) => {
      const prms = new PrmRepository(trx);
      const audit = new AuditRepository(trx);
      const changed: string[] = [];
      for (const id of [...new Set(prmIds)]) {
        const record = await prms.find(id);
        const attached = record
          ? (await prms.attachmentsOf(id)).some(
              (a) =>
                sirens.includes(a.siren) && a.startDate <= today && (a.endDate === null || a.endDate > today),
            )
          : false;
        if (!record || !attached || record.category !== 'B') {
          throw new AppError('NOT_FOUND', `no category B PRM ${id} in this perimeter`);
        }
        const periods = await prms.collectionPeriodsOf(id);
        const open = periods.find((p) => p.startDate <= today && (p.endDate === null || p.endDate > today));
        if (on === (open !== undefined)) continue;
        if (on) {
          const endedToday = periods.find((p) => p.endDate === today);
          if (endedToday) await prms.setCollectionPeriodEnd(endedToday.id, null);
          else await prms.insertCollectionPeriod(id, today, null);
        } else {
          await prms.setCollectionPeriodEnd(open!.id, today);
        }
        await audit.append(
          {
            actor: { type: actor.type, id: actor.id, label: actor.label },
            entrepriseId: actor.entrepriseId,
            action: on ? 'prm.curve_collection.started' : 'prm.curve_collection.stopped',
            target: `prm:${id}`,
            after: { from: today },
          },
          now,
        );
        changed.push(id);
      }
      return changed;
    });
  }
}
