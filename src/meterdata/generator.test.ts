import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PrmRecord } from '../db/prm.repository.js';
import { DISTRIBUTOR_CALENDARS } from '../domain/calendars.js';
import { daysBetween } from '../domain/paris-calendar.js';
import { isPresent, natureOf } from '../domain/point-quality.js';
import { dayTimeClasses } from '../domain/time-classes.js';
import { generatePrmDay, indexReadings, profileOf } from './generator.js';

const A: PrmRecord = {
  prm: '30001000000001',
  segment: 'C2',
  category: 'A',
  kva: 400,
  step: 'PT5M',
  contractNumber: 'C',
  label: 'Usine de Lyon',
  distributorCalendar: 'DI000003',
  supplierCalendar: null,
};
const B: PrmRecord = {
  ...A,
  prm: '30002000000001',
  segment: 'C5',
  category: 'B',
  kva: 9,
  step: 'PT30M',
  label: 'Maison',
  distributorCalendar: 'DI000002',
};

describe('synthetic generator', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    const one = generatePrmDay(A, '2024-01-15', 7, true);
    const again = generatePrmDay(A, '2024-01-15', 7, true);
    const other = generatePrmDay(A, '2024-01-15', 8, true);
    assert.deepEqual(one.curves[0]!.values, again.curves[0]!.values);
    assert.notDeepEqual(one.curves[0]!.values, other.curves[0]!.values);
  });

  it('follows DST: 276/288/300 points at PT5M, 46/50 at PT30M', () => {
    assert.equal(generatePrmDay(A, '2024-03-31', 1, true).curves[0]!.values.length, 276);
    assert.equal(generatePrmDay(A, '2024-04-01', 1, true).curves[0]!.values.length, 288);
    assert.equal(generatePrmDay(A, '2024-10-27', 1, true).curves[0]!.values.length, 300);
    assert.equal(generatePrmDay(B, '2024-03-31', 1, true).curves[0]!.values.length, 46);
    assert.equal(generatePrmDay(B, '2024-10-27', 1, true).curves[0]!.values.length, 50);
  });

  it('gives category A active and reactive curves of nature R, category B active only of nature B', () => {
    const a = generatePrmDay(A, '2024-05-02', 1, true).curves;
    assert.deepEqual(
      a.map((c) => c.quantity),
      ['PA', 'PRI', 'PRC'],
    );
    assert.equal(natureOf(a[0]!.qualities[100]!), 'R');
    const b = generatePrmDay(B, '2024-05-02', 1, true).curves;
    assert.deepEqual(
      b.map((c) => c.quantity),
      ['PA'],
    );
    assert.equal(natureOf(b[0]!.qualities[10]!), 'B');
  });

  it('generates no curve for a category B day without collection, but still the energy for the index', () => {
    const off = generatePrmDay(B, '2024-05-02', 1, false);
    assert.deepEqual(off.curves, []);
    assert.ok(off.energyWh.reduce((s, e) => s + e, 0) > 0);
  });

  it('shapes profiles: an office uses more on a weekday afternoon than at night or on Sunday', () => {
    const office = { ...A, label: 'Bureaux de Nantes', segment: 'C4' as const, kva: 120 };
    assert.equal(profileOf(office), 'office');
    const monday = generatePrmDay(office, '2024-06-03', 3, true).curves[0]!.values;
    const sunday = generatePrmDay(office, '2024-06-02', 3, true).curves[0]!.values;
    assert.ok(monday[14 * 12]! > 2 * monday[3 * 12]!);
    assert.ok(monday[14 * 12]! > 2 * sunday[14 * 12]!);
  });

  for (const prm of [A, B]) {
    it(`keeps index and curve energy within 1 Wh per time class per day (category ${prm.category}, 120 days over DST)`, () => {
      const days = daysBetween('2024-02-15', '2024-06-14').concat(daysBetween('2024-10-20', '2024-11-05'));
      const generated = days.map((day) => generatePrmDay(prm, day, 42, true));
      const readings = indexReadings(
        prm,
        days,
        '2024-11-05',
        generated.map((g) => g.energyWh),
        new Map(),
      );
      const classes = DISTRIBUTOR_CALENDARS[prm.distributorCalendar as 'DI000003'].timeClasses;
      const minutes = prm.category === 'A' ? 5 : 30;
      let checked = 0;
      // Readings follow the list of days: the increase between two consecutive entries is one day's energy.
      days.forEach((day, d) => {
        const pa = generated[d]!.curves[0]!;
        // A raw curve with a gap or an outlier does not carry the whole energy: the corrected curve handles it.
        const complete =
          pa.qualities.every((q) => isPresent(q)) && pa.values.every((v) => v >= 0 && v <= prm.kva * 2000);
        if (!complete) return;
        const cls = dayTimeClasses(day, minutes, prm.distributorCalendar as 'DI000003');
        classes.forEach((register, c) => {
          let curveWh = 0;
          pa.values.forEach((v, i) => {
            if (cls[i] === c) curveWh += (v * minutes) / 60;
          });
          const at = (x: string) => readings.find((r) => r.day === x && r.register === register)!.valueWh;
          const next = d + 1 < days.length ? days[d + 1]! : '2024-11-05';
          const delta = at(next) - at(day);
          assert.ok(
            Math.abs(delta - curveWh) <= 1,
            `${day} ${register}: index +${delta} Wh, curve ${curveWh} Wh`,
          );
        });
        checked++;
      });
      assert.ok(checked > 100, `checked ${checked} days`);
    });
  }
});
