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

/** PRMs whose range is read at once by `recomputeBest`. */
const PRM_BATCH = 100;

/**
 * Recomputes the corrected curve (BEST, active power, category A) of the given PRM-days from their
 * raw curve, and stores it as its own versioned rows (unchanged results keep their version).
 * Called whenever raw PA of a category A PRM-day changes (import, generator). Reads the range of up
 * to 100 PRMs in a few queries; days are processed in order so a day can copy the BEST just computed
 * for the week before. Returns the keys of the BEST days created or changed.
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
  const ids = [...byPrm.keys()];
  const changed: CurveKey[] = [];
  for (let i = 0; i < ids.length; i += PRM_BATCH) {
    const records = new Map<string, PrmRecord>();
    for (const prm of ids.slice(i, i + PRM_BATCH)) {
      const record = await prms.find(prm);
      if (record?.category === 'A') records.set(prm, record);
    }
    if (records.size === 0) continue;
    const daysOf = new Map([...records.keys()].map((prm) => [prm, byPrm.get(prm)!]));
    const all = [...daysOf.values()].flat().sort();
    const first = all[0]!;
    const last = all[all.length - 1]!;
    const curves = await store.readCurvesOfPrms([...records.keys()], addDays(first, -7), addDays(last, 1), {
      quantity: 'PA',
    });
    const readings = await store.readIndexOfPrms([...records.keys()], first, addDays(last, 2));
    const out = correctedPrmDays(records, daysOf, curves, readings);
    changed.push(...(await store.upsertCurveDays(out, now)));
  }
  return changed;
}

/**
 * The corrected curves of several category A PRMs' days, from their PA curves (raw and corrected, of
 * those days and the week before them; for a key given twice the later one counts, so curves just
 * written can follow the stored ones) and their index readings from the first day to the day after
 * the last.
 */
export function correctedPrmDays(
  records: ReadonlyMap<string, Pick<PrmRecord, 'kva'>>,
  daysOf: ReadonlyMap<string, readonly string[]>,
  curves: Iterable<CurveDay>,
  readings: readonly StoredIndexReading[],
): CurveDay[] {
  const raw = new Map<string, Map<string, CurveDay>>();
  const best = new Map<string, Map<string, CurveDay>>();
  for (const c of curves) {
    if (c.quantity !== 'PA') continue;
    const byPrm = c.stage === 'BEST' ? best : raw;
    const days = byPrm.get(c.prm);
    if (days) days.set(c.day, c);
    else byPrm.set(c.prm, new Map([[c.day, c]]));
  }
  const readingsOf = new Map<string, StoredIndexReading[]>();
  for (const r of readings) {
    const list = readingsOf.get(r.prm);
    if (list) list.push(r);
    else readingsOf.set(r.prm, [r]);
  }
  const out: CurveDay[] = [];
  for (const [prm, days] of daysOf) {
    const record = records.get(prm);
    if (!record) continue;
    out.push(
      ...correctedDays(
        record,
        [...new Set(days)].sort(),
        raw.get(prm) ?? new Map(),
        best.get(prm) ?? new Map(),
        readingsOf.get(prm) ?? [],
      ),
    );
  }
  return out;
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
