import { isPresent, packQuality, type CompletionType, type Nature } from '../domain/point-quality.js';

/**
 * Validation, estimation and correction (VEE) of one PRM-day of category A active power: from the raw
 * curve to the corrected curve (BEST). Pure; the method is documented in docs/corrected-curve.md.
 */
export interface VeeInput {
  values: Int32Array;
  qualities: Uint16Array;
  stepMinutes: number;
  /** Subscribed power: the physical bound of a point is PHYSICAL_BOUND_FACTOR × kVA × 1000 W. */
  kva: number;
  /** Same weekday one week earlier (its corrected curve if any, else raw), same number of points. */
  weekBefore?: { values: Int32Array; qualities: Uint16Array } | undefined;
  /** Index increase over the day (Wh, all registers) when both midnight readings are known. */
  indexEnergyWh?: number | undefined;
}

export interface VeeResult {
  values: Int32Array;
  qualities: Uint16Array;
  /** Points filled in gaps (nature E). */
  estimated: number;
  /** Impossible values replaced (nature C). */
  corrected: number;
  /** Gap points left empty: no bound on both sides within 2 h and no usable week-before copy. */
  unresolved: number;
  /** Whether filled points were scaled to match the index energy. */
  scaled: boolean;
}

/** Longest gap filled by linear interpolation. */
export const MAX_INTERPOLATION_MINUTES = 120;
/** A point above this many times the subscribed power (kVA → W) is physically impossible. */
export const PHYSICAL_BOUND_FACTOR = 2;

const ESTIMATED = { interpolation: code('E', 'C'), copy: code('E', 'A') };
const CORRECTED = { interpolation: code('C', 'N'), copy: code('C', 'H'), clip: code('C', 'J') };

function code(n: Nature, tc: CompletionType): number {
  return packQuality({ n, tc });
}

export function physicalBoundW(kva: number): number {
  return Math.round(PHYSICAL_BOUND_FACTOR * kva * 1000);
}

export function correctCurve(input: VeeInput): VeeResult {
  const n = input.values.length;
  const bound = physicalBoundW(input.kva);
  const values = Int32Array.from(input.values);
  const qualities = Uint16Array.from(input.qualities);
  const gap = new Uint8Array(n); // 1 = absent, 2 = impossible value
  for (let i = 0; i < n; i++) {
    if (!isPresent(qualities[i]!)) gap[i] = 1;
    else if (values[i]! < 0 || values[i]! > bound) gap[i] = 2;
  }
  const filled = new Uint8Array(n);
  let estimated = 0;
  let corrected = 0;
  let unresolved = 0;
  const maxInterpolated = Math.floor(MAX_INTERPOLATION_MINUTES / input.stepMinutes);
  const week = input.weekBefore && input.weekBefore.values.length === n ? input.weekBefore : undefined;

  for (let i = 0; i < n;) {
    if (!gap[i]) {
      i++;
      continue;
    }
    let j = i;
    while (j < n && gap[j]) j++;
    const bounded = i > 0 && j < n;
    let method: 'interpolation' | 'copy' | undefined;
    if (bounded && j - i <= maxInterpolated) method = 'interpolation';
    else if (week && weekCovers(week, i, j, bound)) method = 'copy';
    for (let k = i; k < j; k++) {
      if (method === 'interpolation') {
        const left = values[i - 1]!;
        const right = values[j]!;
        values[k] = Math.round(left + ((right - left) * (k - i + 1)) / (j - i + 1));
      } else if (method === 'copy') {
        values[k] = week!.values[k]!;
      } else if (gap[k] === 2) {
        values[k] = values[k]! < 0 ? 0 : bound;
        qualities[k] = CORRECTED.clip;
        corrected++;
        continue;
      } else {
        unresolved++;
        continue;
      }
      filled[k] = 1;
      if (gap[k] === 1) {
        qualities[k] = ESTIMATED[method];
        estimated++;
      } else {
        qualities[k] = CORRECTED[method];
        corrected++;
      }
    }
    i = j;
  }

  const scaled =
    input.indexEnergyWh !== undefined && unresolved === 0
      ? scaleFilled(values, filled, input.indexEnergyWh, input.stepMinutes)
      : false;
  return { values, qualities, estimated, corrected, unresolved, scaled };
}

function weekCovers(
  week: { values: Int32Array; qualities: Uint16Array },
  i: number,
  j: number,
  bound: number,
): boolean {
  for (let k = i; k < j; k++) {
    if (!isPresent(week.qualities[k]!) || week.values[k]! < 0 || week.values[k]! > bound) return false;
  }
  return true;
}

/**
 * Scales the filled points so that the day's energy equals the index increase: measured points are
 * never altered. Rounds with largest remainders so the sum of W is exact to one point-step.
 */
function scaleFilled(values: Int32Array, filled: Uint8Array, targetWh: number, stepMinutes: number): boolean {
  const hours = stepMinutes / 60;
  let measuredW = 0;
  let filledW = 0;
  let count = 0;
  for (let k = 0; k < values.length; k++) {
    if (filled[k]) {
      filledW += values[k]!;
      count++;
    } else measuredW += values[k]!;
  }
  if (count === 0) return false;
  const residualW = Math.round(targetWh / hours) - measuredW;
  if (residualW < 0) return false;
  const shares: Array<{ k: number; floor: number; rest: number }> = [];
  let assigned = 0;
  for (let k = 0; k < values.length; k++) {
    if (!filled[k]) continue;
    const exact = filledW > 0 ? (values[k]! * residualW) / filledW : residualW / count;
    const floor = Math.floor(exact);
    shares.push({ k, floor, rest: exact - floor });
    assigned += floor;
  }
  shares.sort((a, b) => b.rest - a.rest || a.k - b.k);
  let left = residualW - assigned;
  for (const share of shares) values[share.k] = share.floor + (left-- > 0 ? 1 : 0);
  return true;
}
