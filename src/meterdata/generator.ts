import type { PrmRecord } from '../db/prm.repository.js';
import type { CurveDay, IndexReading } from '../db/measurement.repository.js';
import { DISTRIBUTOR_CALENDARS, type DistributorCalendar } from '../domain/calendars.js';
import { stepMinutes } from '../domain/identifiers.js';
import { localFields, pointInstants } from '../domain/paris-calendar.js';
import { packQuality, QUALITY } from '../domain/point-quality.js';
import { dayTimeClasses, TOTALIZER } from '../domain/time-classes.js';

/**
 * Synthetic measurements: plausible load curves per usage profile (office, retail, industry,
 * household), with weekday/weekend and seasonal shapes, noise, occasional gaps, outages and outliers,
 * reactive power for category A, and index registers consistent with the curve energy.
 * Deterministic: a PRM-day depends only on (seed, PRM, day).
 */
export type Profile = 'office' | 'retail' | 'industry' | 'household';

export interface GeneratedDay {
  /** Raw curves (PA, plus PRI and PRC for category A); empty for a category B day without collection. */
  curves: CurveDay[];
  /** Exact energy (Wh) consumed in each register of the PRM's calendar, from the true curve. */
  energyWh: number[];
}

/** Usage profile of a PRM, from its label when it says, else from its segment. */
export function profileOf(prm: PrmRecord): Profile {
  const label = prm.label.toLowerCase();
  if (/usine|atelier|entrep[oô]t|industri/.test(label)) return 'industry';
  if (/bureau/.test(label)) return 'office';
  if (/boutique|agence|magasin/.test(label)) return 'retail';
  if (prm.segment === 'C5') return 'household';
  return prm.segment === 'C4' ? 'office' : 'industry';
}

/** Load factor (fraction of peak) at a local hour for a profile. */
function shape(profile: Profile, hour: number, weekday: number): number {
  const weekend = weekday >= 6;
  switch (profile) {
    case 'office':
      if (weekend) return 0.15;
      return hour >= 8 && hour < 19 ? 0.75 + 0.1 * Math.sin(((hour - 8) / 11) * Math.PI) : 0.2;
    case 'retail':
      if (weekday === 7) return 0.2;
      return hour >= 9 && hour < 20 ? 0.7 : hour >= 7 && hour < 9 ? 0.4 : 0.18;
    case 'industry':
      if (weekend) return 0.35;
      return hour >= 6 && hour < 22 ? 0.85 : 0.5;
    case 'household': {
      const base = 0.2;
      const morning = Math.exp(-((hour - 7.5) ** 2) / 2) * 0.35;
      const evening = Math.exp(-((hour - 20) ** 2) / 4) * (weekend ? 0.55 : 0.6);
      const midday = weekend ? Math.exp(-((hour - 12.5) ** 2) / 3) * 0.3 : 0;
      return base + morning + evening + midday;
    }
  }
}

function seasonal(profile: Profile, month: number): number {
  const winter = Math.cos(((month - 1) / 12) * 2 * Math.PI); // 1 in January, -1 in July
  return profile === 'industry' ? 1 + 0.08 * winter : 1 + 0.3 * winter;
}

/** mulberry32: small, fast, good enough for synthetic data. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

const fieldsCache = new Map<string, Array<{ hour: number; weekday: number; month: number }>>();

function localTimes(day: string, minutes: number) {
  const key = `${day}|${minutes}`;
  let fields = fieldsCache.get(key);
  if (!fields) {
    fields = pointInstants(day, minutes).map((t) => {
      const f = localFields(t);
      return { hour: f.hour + f.minute / 60, weekday: f.weekday, month: f.month };
    });
    if (fieldsCache.size > 5000) fieldsCache.clear();
    fieldsCache.set(key, fields);
  }
  return fields;
}

const F = packQuality({ n: 'F' });
const S = packQuality({ n: 'S' });
const G = packQuality({ n: 'G' });
const B_CUT = packQuality({ n: 'B', iv: 2, ec: 1 });
const B_BACK = packQuality({ n: 'B', iv: 2, ec: 5 });

/**
 * One PRM-day. `collectionOn` says whether a category B curve may exist that day (the index is
 * generated either way).
 */
export function generatePrmDay(
  prm: PrmRecord,
  day: string,
  seed: number,
  collectionOn: boolean,
): GeneratedDay {
  const rnd = random(hash(`${seed}|${prm.prm}|${day}`));
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
  const minutes = stepMinutes(prm.step);
  const times = localTimes(day, minutes);
  const n = times.length;
  const profile = profileOf(prm);
  const peakW =
    prm.kva * 1000 * (prm.category === 'A' ? 0.6 : 0.45) * (0.8 + 0.4 * (hash(prm.prm) / 2 ** 32));
  const level = 1 + 0.08 * gauss(); // day-to-day variation
  const truth = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const t = times[i]!;
    const w =
      peakW * shape(profile, t.hour, t.weekday) * seasonal(profile, t.month) * level * (1 + 0.05 * gauss());
    truth[i] = Math.max(0, Math.round(w));
  }
  // An outage: true consumption is zero while the power is off.
  const outage = rnd() < 0.02 ? randomRun(rnd, n, 2, Math.max(3, Math.floor(n / 24))) : undefined;
  if (outage) for (let i = outage[0]; i < outage[1]; i++) truth[i] = 0;

  const calendar = prm.distributorCalendar as DistributorCalendar;
  const classes = dayTimeClasses(day, minutes, calendar);
  const energyWh = new Array<number>(DISTRIBUTOR_CALENDARS[calendar].timeClasses.length).fill(0);
  for (let i = 0; i < n; i++) energyWh[classes[i]!]! += (truth[i]! * minutes) / 60;

  const curves: CurveDay[] = [];
  if (prm.category === 'B' && !collectionOn) return { curves, energyWh };

  const values = Int32Array.from(truth);
  const qualities = new Uint16Array(n).fill(prm.category === 'A' ? QUALITY.R : QUALITY.B_OK);
  if (outage) {
    const [from, to] = outage;
    for (let i = from; i < to; i++) {
      if (prm.category === 'A') qualities[i] = i === from ? F : i === to - 1 ? G : S;
      else qualities[i] = i === to - 1 ? B_BACK : B_CUT;
    }
  }
  if (rnd() < 0.04) {
    // A communication gap: points missing from the raw curve (the meter still counted the energy).
    const [from, to] = randomRun(rnd, n, 1, Math.max(2, Math.floor(n / 5)));
    for (let i = from; i < to; i++) {
      values[i] = 0;
      qualities[i] = 0;
    }
  }
  if (prm.category === 'A' && rnd() < 0.02) {
    // A measurement outlier: negative or far above what the connection can carry.
    const i = Math.floor(rnd() * n);
    if (qualities[i] !== 0)
      values[i] = rnd() < 0.5 ? -Math.round(peakW / 10) : Math.round(prm.kva * 1000 * 5);
  }
  const base = { prm: prm.prm, day, stage: 'BRUT' as const, stepMinutes: minutes };
  curves.push({ ...base, quantity: 'PA', values, qualities });
  if (prm.category === 'A') {
    const tanPhi = 0.2 + 0.2 * (hash(`${prm.prm}|phi`) / 2 ** 32);
    const pri = new Int32Array(n);
    const prc = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      if (qualities[i] === 0) continue;
      const p = truth[i]!;
      pri[i] = Math.max(0, Math.round(p * tanPhi * (1 + 0.05 * gauss())));
      prc[i] = Math.max(0, Math.round(peakW * 0.04 - p * 0.05));
    }
    curves.push({ ...base, quantity: 'PRI', values: pri, qualities: Uint16Array.from(qualities) });
    curves.push({ ...base, quantity: 'PRC', values: prc, qualities: Uint16Array.from(qualities) });
  }
  return { curves, energyWh };
}

function randomRun(rnd: () => number, n: number, minLength: number, maxLength: number): [number, number] {
  const length = Math.min(n, minLength + Math.floor(rnd() * (maxLength - minLength + 1)));
  const from = Math.floor(rnd() * (n - length + 1));
  return [from, from + length];
}

/** Deterministic starting index (Wh) of a register when nothing is stored before. */
export function initialIndexWh(prm: string, register: string): number {
  return 1_000_000 + (hash(`${prm}|${register}|index`) % 50_000_000);
}

/**
 * Index readings at local midnight of each day in `days` plus the day after the last, continuing
 * from `start` (cumulative exact Wh per register at midnight of days[0]). Readings are rounded
 * cumulative values, so the increase over a day matches the curve energy within 1 Wh per register.
 */
export function indexReadings(
  prm: PrmRecord,
  days: readonly string[],
  endDay: string,
  energies: ReadonlyArray<number[]>,
  start: ReadonlyMap<string, number>,
): IndexReading[] {
  const calendar = prm.distributorCalendar as DistributorCalendar;
  const classes = DISTRIBUTOR_CALENDARS[calendar].timeClasses as readonly string[];
  const cumulative = classes.map((c) => start.get(c) ?? initialIndexWh(prm.prm, c));
  let total = start.get(TOTALIZER) ?? initialIndexWh(prm.prm, TOTALIZER);
  const iv = prm.category === 'B' ? 0 : null;
  const out: IndexReading[] = [];
  const emit = (day: string) => {
    classes.forEach((register, c) =>
      out.push({ prm: prm.prm, day, register, valueWh: Math.round(cumulative[c]!), iv }),
    );
    if (prm.category === 'B')
      out.push({ prm: prm.prm, day, register: TOTALIZER, valueWh: Math.round(total), iv });
  };
  days.forEach((day, d) => {
    emit(day);
    energies[d]!.forEach((e, c) => {
      cumulative[c]! += e;
      total += e;
    });
  });
  emit(endDay);
  return out;
}
