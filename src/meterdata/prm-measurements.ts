import type { Db } from '../db/database.js';
import { MeasurementRepository, type StoredIndexReading } from '../db/measurement.repository.js';
import { daysBetween, pointInstants } from '../domain/paris-calendar.js';
import { natureOf, type Stage } from '../domain/point-quality.js';

/** One curve as columns, ready for a chart: instants (ms), watts (null = no point), natures. */
export interface CurveSeries {
  t: number[];
  w: Array<number | null>;
  n: Array<string | null>;
}

export interface PrmMeasurements {
  raw: CurveSeries;
  corrected: CurveSeries;
  index: StoredIndexReading[];
}

function emptySeries(): CurveSeries {
  return { t: [], w: [], n: [] };
}

/**
 * The active-power curves (raw and corrected) and index readings of a PRM over local days
 * `[fromDay, toDay)`, keeping only the days `visible` accepts (the customer's attachment intervals).
 */
export async function readPrmMeasurements(
  db: Db,
  prm: string,
  fromDay: string,
  toDay: string,
  visible: (day: string) => boolean,
): Promise<PrmMeasurements> {
  const repository = new MeasurementRepository(db);
  const curves = await repository.readCurves(prm, fromDay, toDay, { quantity: 'PA' });
  const series: Record<Stage, CurveSeries> = { BRUT: emptySeries(), BEST: emptySeries() };
  for (const day of daysBetween(fromDay, toDay)) {
    if (!visible(day)) continue;
    for (const stage of ['BRUT', 'BEST'] as const) {
      const curve = curves.find((c) => c.day === day && c.stage === stage);
      if (!curve) continue;
      const instants = pointInstants(day, curve.stepMinutes);
      const target = series[stage];
      instants.forEach((t, i) => {
        const nature = natureOf(curve.qualities[i] ?? 0) ?? null;
        target.t.push(t);
        target.w.push(nature === null ? null : (curve.values[i] ?? null));
        target.n.push(nature);
      });
    }
  }
  const index = (await repository.readIndex(prm, fromDay, toDay)).filter((r) => visible(r.day));
  return { raw: series.BRUT, corrected: series.BEST, index };
}
