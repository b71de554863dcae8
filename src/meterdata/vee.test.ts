import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { QUALITY, unpackQuality } from '../domain/point-quality.js';
import { correctCurve, physicalBoundW } from './vee.js';

const STEP = 5;

function day(values: number[], absent: number[] = []) {
  const q = new Uint16Array(values.length).fill(QUALITY.R);
  for (const i of absent) q[i] = 0;
  return { values: Int32Array.from(values), qualities: q };
}

function flat(n: number, v: number): number[] {
  return Array.from({ length: n }, () => v);
}

const label = (code: number) => {
  const q = unpackQuality(code);
  return q ? `${q.n}${q.tc ?? ''}` : '-';
};

describe('corrected curve (VEE)', () => {
  it('keeps a complete plausible day as it is', () => {
    const raw = day(flat(288, 50_000));
    const r = correctCurve({ ...raw, stepMinutes: STEP, kva: 250 });
    assert.deepEqual(r.values, raw.values);
    assert.deepEqual(r.qualities, raw.qualities);
    assert.equal(r.estimated + r.corrected + r.unresolved, 0);
  });

  it('fills a gap of up to 2 hours by linear interpolation between its bounds (E, tc C)', () => {
    const values = flat(288, 1000);
    values[10] = 2000; // right bound after the gap 7..9
    const raw = day(values, [7, 8, 9]);
    const r = correctCurve({ ...raw, stepMinutes: STEP, kva: 250 });
    assert.deepEqual([...r.values.slice(6, 11)], [1000, 1250, 1500, 1750, 2000]);
    assert.deepEqual(
      [7, 8, 9].map((i) => label(r.qualities[i]!)),
      ['EC', 'EC', 'EC'],
    );
    assert.equal(r.estimated, 3);
  });

  it('copies the same weekday one week earlier for a gap longer than 2 hours (E, tc A)', () => {
    const absent = Array.from({ length: 25 }, (_, i) => 100 + i); // 2 h 05
    const raw = day(flat(288, 1000), absent);
    const week = day(Array.from({ length: 288 }, (_, i) => 3000 + i));
    const r = correctCurve({ ...raw, stepMinutes: STEP, kva: 250, weekBefore: week });
    assert.equal(r.values[100], 3100);
    assert.equal(r.values[124], 3124);
    assert.equal(label(r.qualities[110]!), 'EA');
    // Without a week before, a long gap stays empty rather than invented.
    const alone = correctCurve({ ...raw, stepMinutes: STEP, kva: 250 });
    assert.equal(alone.unresolved, 25);
    assert.equal(label(alone.qualities[110]!), '-');
  });

  it('interpolates exactly 2 hours (24 points at 5 minutes) but not one point more', () => {
    const two = correctCurve({
      ...day(
        flat(288, 10),
        Array.from({ length: 24 }, (_, i) => 50 + i),
      ),
      stepMinutes: STEP,
      kva: 250,
    });
    assert.equal(two.estimated, 24);
    const more = correctCurve({
      ...day(
        flat(288, 10),
        Array.from({ length: 25 }, (_, i) => 50 + i),
      ),
      stepMinutes: STEP,
      kva: 250,
    });
    assert.equal(more.unresolved, 25);
  });

  it('never extrapolates beyond the first or last known point', () => {
    const r = correctCurve({ ...day(flat(288, 10), [0, 1, 2, 287]), stepMinutes: STEP, kva: 250 });
    assert.equal(r.unresolved, 4);
    assert.equal(r.estimated, 0);
    // A week-before copy is not an extrapolation: it fills the edges.
    const withWeek = correctCurve({
      ...day(flat(288, 10), [0, 1, 2, 287]),
      stepMinutes: STEP,
      kva: 250,
      weekBefore: day(flat(288, 7)),
    });
    assert.deepEqual([withWeek.values[0], withWeek.values[287]], [7, 7]);
    assert.equal(label(withWeek.qualities[0]!), 'EA');
  });

  it('corrects a negative value and a value above the physical bound with the tc of the method', () => {
    const values = flat(288, 1000);
    values[20] = -500;
    values[40] = physicalBoundW(250) + 1;
    const r = correctCurve({ ...day(values), stepMinutes: STEP, kva: 250 });
    assert.equal(r.values[20], 1000);
    assert.equal(r.values[40], 1000);
    assert.equal(label(r.qualities[20]!), 'CN');
    assert.equal(label(r.qualities[40]!), 'CN');
    assert.equal(r.corrected, 2);
    // At the edge with nothing to copy: clipped to the physical range (C, tc J).
    const edge = flat(288, 1000);
    edge[0] = -3;
    const clipped = correctCurve({ ...day(edge), stepMinutes: STEP, kva: 250 });
    assert.equal(clipped.values[0], 0);
    assert.equal(label(clipped.qualities[0]!), 'CJ');
  });

  it('scales filled points so the day energy matches the index difference', () => {
    const raw = day(flat(288, 1200), [100, 101, 102, 103]);
    const measuredWh = (284 * 1200) / 12;
    const targetWh = measuredWh + 500; // the meter counted 500 Wh over the gap (1 500 W average)
    const r = correctCurve({ ...raw, stepMinutes: STEP, kva: 250, indexEnergyWh: targetWh });
    assert.equal(r.scaled, true);
    const energy = r.values.reduce((sum, v) => sum + v, 0) / 12;
    assert.ok(Math.abs(energy - targetWh) <= 0.5 / 12 + 1e-9, `energy ${energy} vs ${targetWh}`);
    assert.deepEqual([...r.values.slice(99, 105)], [1200, 1500, 1500, 1500, 1500, 1200]);
    // Measured points are never scaled: a complete day is left alone whatever the index says.
    const complete = correctCurve({ ...day(flat(288, 1200)), stepMinutes: STEP, kva: 250, indexEnergyWh: 1 });
    assert.equal(complete.scaled, false);
  });
});
