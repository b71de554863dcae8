import type { Db } from '../db/database.js';
import { MeasurementRepository, type CurveDay, type IndexReading } from '../db/measurement.repository.js';
import { PrmRepository, type PrmRecord } from '../db/prm.repository.js';
import { addDays, daysBetween } from '../domain/paris-calendar.js';
import { recomputeBest } from './best-recompute.js';
import { generatePrmDay, indexReadings } from './generator.js';

export interface GenerateOptions {
  /** Local days `[from, to)`. */
  from: string;
  to: string;
  seed: number;
  now: Date;
  onPrmDone?: (prm: string) => void;
}

export interface GenerateResult {
  prms: number;
  curveDaysChanged: number;
  curvePoints: number;
  indexReadingsChanged: number;
  bestDaysChanged: number;
}

/**
 * Generates and stores synthetic measurements for PRMs over local days `[from, to)`: raw curves
 * (category B only on days its curve collection was on), index readings at midnight of each day and of
 * `to` (continuing from the last stored reading), and the corrected curve of category A.
 * One transaction per PRM.
 */
export async function generateMeasurements(
  db: Db,
  prms: readonly PrmRecord[],
  options: GenerateOptions,
): Promise<GenerateResult> {
  const result: GenerateResult = {
    prms: 0,
    curveDaysChanged: 0,
    curvePoints: 0,
    indexReadingsChanged: 0,
    bestDaysChanged: 0,
  };
  const days = daysBetween(options.from, options.to);
  if (days.length === 0) return result;
  for (const prm of prms) {
    await db.transaction().execute(async (trx) => {
      const store = new MeasurementRepository(trx);
      const periods = prm.category === 'B' ? await new PrmRepository(trx).collectionPeriodsOf(prm.prm) : [];
      const collectionOn = (day: string) =>
        periods.some((p) => p.startDate <= day && (p.endDate === null || day < p.endDate));
      const start = await startingIndex(store, prm, options.from, options.seed, collectionOn);
      const curves: CurveDay[] = [];
      const energies: number[][] = [];
      for (const day of days) {
        const generated = generatePrmDay(prm, day, options.seed, collectionOn(day));
        curves.push(...generated.curves);
        energies.push(generated.energyWh);
      }
      const readings: IndexReading[] = indexReadings(prm, days, options.to, energies, start);
      result.indexReadingsChanged += await store.upsertIndexReadings(readings, options.now);
      const changed = await store.upsertCurveDays(curves, options.now);
      result.curveDaysChanged += changed.length;
      for (const c of curves) result.curvePoints += c.values.length;
      const rawPa = changed.filter((k) => k.quantity === 'PA' && k.stage === 'BRUT');
      if (prm.category === 'A' && rawPa.length > 0) {
        result.bestDaysChanged += (await recomputeBest(trx, rawPa, options.now)).length;
      }
    });
    result.prms++;
    options.onPrmDone?.(prm.prm);
  }
  return result;
}

/**
 * Exact cumulative Wh per register at midnight of `from`: the stored reading of that day, or the
 * last one before it carried forward with the generated energy of the days in between.
 */
async function startingIndex(
  store: MeasurementRepository,
  prm: PrmRecord,
  from: string,
  seed: number,
  collectionOn: (day: string) => boolean,
): Promise<Map<string, number>> {
  const last = await store.lastIndexBefore(prm.prm, addDays(from, 1));
  const start = new Map(last.map((r) => [r.register, r.valueWh]));
  if (last.length === 0) return start;
  const gapDays = daysBetween(last[0]!.day, from);
  if (gapDays.length === 0) return start;
  const energies = gapDays.map((day) => generatePrmDay(prm, day, seed, collectionOn(day)).energyWh);
  const carried = indexReadings(prm, gapDays, from, energies, start).filter((r) => r.day === from);
  return new Map(carried.map((r) => [r.register, r.valueWh]));
}
