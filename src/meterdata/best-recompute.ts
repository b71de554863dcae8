import type { Db } from '../db/database.js';
import {
  MeasurementRepository,
  type CurveDay,
  type CurveKey,
  type StoredIndexReading,
} from '../db/measurement.repository.js';
import { PrmRepository, type PrmRecord } from '../db/prm.repository.js';
import { addDays } from '../domain/paris-calendar.js';
import { TOTALIZER } from '../domain/time-classes.js';
import { correctCurve } from './vee.js';

/**
 * Recomputes the corrected curve (BEST, active power, category A) of the given PRM-days from their
 * raw curve, and stores it as its own versioned rows (unchanged results keep their version).
 * Called whenever raw PA of a category A PRM-day changes (import, generator). Reads each PRM's
 * range in a few queries; days are processed in order so a day can copy the BEST just computed for
 * the week before. Returns the keys of the BEST days created or changed.
 */
export async function recomputeBest(
  db: Db,
  prmDays: ReadonlyArray<{ prm: string; day: string }>,
  now: Date,
): Promise<CurveKey[]> {
  const store = new MeasurementRepository(db);
  const prms = new PrmRepository(db);
  const byPrm = new Map<string, string[]>();
  for (const { prm, day } of prmDays) {
    const list = byPrm.get(prm);
    if (list) list.push(day);
    else byPrm.set(prm, [day]);
  }
  const changed: CurveKey[] = [];
  for (const [prm, list] of byPrm) {
    const record = await prms.find(prm);
    if (!record || record.category !== 'A') continue;
    const days = [...new Set(list)].sort();
    const first = days[0]!;
    const last = days[days.length - 1]!;
    const curves = await store.readCurves(prm, addDays(first, -7), addDays(last, 1), { quantity: 'PA' });
    const raw = new Map(curves.filter((c) => c.stage === 'BRUT').map((c) => [c.day, c as CurveDay]));
    const best = new Map(curves.filter((c) => c.stage === 'BEST').map((c) => [c.day, c as CurveDay]));
    const readings = await store.readIndex(prm, first, addDays(last, 2));
    const out = correctedDays(record, days, raw, best, readings);
    changed.push(...(await store.upsertCurveDays(out, now)));
  }
  return changed;
}

/**
 * The corrected curves of one category A PRM's `days` (sorted), from its raw PA curves by day (the
 * days themselves and the week before them), its stored corrected curves by day (updated with each
 * day computed, so a day can copy the week before it just computed) and its index readings from the
 * first day to the day after the last. Days without a raw curve are skipped.
 */
export function correctedDays(
  record: Pick<PrmRecord, 'kva'>,
  days: readonly string[],
  raw: ReadonlyMap<string, CurveDay>,
  best: Map<string, CurveDay>,
  readings: readonly StoredIndexReading[],
): CurveDay[] {
  const out: CurveDay[] = [];
  for (const day of days) {
    const rawDay = raw.get(day);
    if (!rawDay) continue;
    const weekDay = addDays(day, -7);
    const result = correctCurve({
      values: rawDay.values,
      qualities: rawDay.qualities,
      stepMinutes: rawDay.stepMinutes,
      kva: record.kva,
      weekBefore: best.get(weekDay) ?? raw.get(weekDay),
      indexEnergyWh: dayEnergy(readings, day),
    });
    const corrected: CurveDay = {
      prm: rawDay.prm,
      day: rawDay.day,
      quantity: 'PA',
      stage: 'BEST',
      stepMinutes: rawDay.stepMinutes,
      values: result.values,
      qualities: result.qualities,
    };
    best.set(day, corrected);
    out.push(corrected);
  }
  return out;
}

/** Index increase over a local day (sum of time-class registers), when both midnight readings exist. */
export function dayEnergy(readings: readonly StoredIndexReading[], day: string): number | undefined {
  const next = addDays(day, 1);
  let start = 0;
  let end = 0;
  let startCount = 0;
  let endCount = 0;
  for (const r of readings) {
    if (r.register === TOTALIZER) continue;
    if (r.day === day) {
      start += r.valueWh;
      startCount++;
    } else if (r.day === next) {
      end += r.valueWh;
      endCount++;
    }
  }
  return startCount > 0 && startCount === endCount ? end - start : undefined;
}
