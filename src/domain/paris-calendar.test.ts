import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  addDays,
  dayBounds,
  dayOfPointTimestamp,
  dayTimestamps,
  localDayOf,
  monthBounds,
  pointInstants,
  pointPositions,
  pointsPerDay,
  weekBounds,
} from './paris-calendar.js';

/** Last Sunday of a month, computed without the time-zone database (the EU rule). */
function lastSunday(year: number, month: number): string {
  const last = new Date(Date.UTC(year, month, 0));
  last.setUTCDate(last.getUTCDate() - last.getUTCDay());
  return last.toISOString().slice(0, 10);
}

const YEARS = Array.from({ length: 13 }, (_, i) => 2018 + i);
const STEPS: Array<[number, number]> = [
  [30, 48],
  [10, 144],
  [5, 288],
  [15, 96],
  [60, 24],
];

describe('Paris calendar', () => {
  for (const year of YEARS) {
    const spring = lastSunday(year, 3);
    const autumn = lastSunday(year, 10);
    it(`counts points on the DST days of ${year} (${spring}, ${autumn})`, () => {
      for (const [minutes, normal] of STEPS) {
        const perHour = 60 / minutes;
        assert.equal(pointsPerDay(spring, minutes), normal - perHour, `spring ${minutes}`);
        assert.equal(pointsPerDay(autumn, minutes), normal + perHour, `autumn ${minutes}`);
        assert.equal(pointsPerDay(addDays(spring, -1), minutes), normal);
        assert.equal(pointsPerDay(addDays(spring, 1), minutes), normal);
        assert.equal(pointsPerDay(addDays(autumn, -1), minutes), normal);
        assert.equal(pointsPerDay(addDays(autumn, 1), minutes), normal);
      }
      assert.equal(dayBounds(spring).end.getTime() - dayBounds(spring).start.getTime(), 23 * 3600_000);
      assert.equal(dayBounds(autumn).end.getTime() - dayBounds(autumn).start.getTime(), 25 * 3600_000);
    });

    it(`skips the spring hour and repeats the autumn hour in order in ${year}`, () => {
      const springA = dayTimestamps(spring, 'A', 30);
      assert.equal(springA.includes(`${spring} 02:00:00`), false);
      assert.equal(springA.includes(`${spring} 02:30:00`), false);
      assert.deepEqual(springA.slice(3, 5), [`${spring} 01:30:00`, `${spring} 03:00:00`]);
      const autumnA = dayTimestamps(autumn, 'A', 30);
      assert.deepEqual(autumnA.slice(4, 8), [
        `${autumn} 02:00:00`,
        `${autumn} 02:30:00`,
        `${autumn} 02:00:00`,
        `${autumn} 02:30:00`,
      ]);
      assert.deepEqual(pointPositions(autumn, 'A', 30, `${autumn} 02:30:00`), [5, 7]);
      // Chronological: the first 02:00 is summer time (00:00 UTC), the second winter time (01:00 UTC).
      const instants = pointInstants(autumn, 30);
      assert.equal(new Date(instants[4]!).toISOString(), `${autumn}T00:00:00.000Z`);
      assert.equal(new Date(instants[6]!).toISOString(), `${autumn}T01:00:00.000Z`);
      const autumnB = dayTimestamps(autumn, 'B', 30);
      assert.equal(autumnB.filter((t) => t === `${autumn} 02:30:00`).length, 2);
      assert.equal(pointPositions(spring, 'A', 30, `${spring} 02:00:00`), undefined);
    });
  }

  it('stamps category A at the interval start and category B at its end', () => {
    const a = dayTimestamps('2023-09-21', 'A', 5);
    assert.equal(a[0], '2023-09-21 00:00:00');
    assert.equal(a[1], '2023-09-21 00:05:00');
    assert.equal(a.at(-1), '2023-09-21 23:55:00');
    const b = dayTimestamps('2023-09-21', 'B', 30);
    assert.equal(b[0], '2023-09-21 00:30:00');
    assert.equal(b.at(-1), '2023-09-22 00:00:00');
    assert.equal(dayOfPointTimestamp('2023-09-22 00:00:00', 'B'), '2023-09-21');
    assert.equal(dayOfPointTimestamp('2023-09-22 00:00:00', 'A'), '2023-09-22');
    assert.equal(pointPositions('2023-09-21', 'B', 30, '2023-09-21 15:30:00')?.[0], 30);
    assert.equal(pointPositions('2023-09-21', 'B', 30, '2023-09-21 15:20:00'), undefined);
  });

  it('gives local days, Monday weeks and months as UTC instants', () => {
    assert.equal(dayBounds('2024-01-15').start.toISOString(), '2024-01-14T23:00:00.000Z');
    assert.equal(dayBounds('2024-07-15').start.toISOString(), '2024-07-14T22:00:00.000Z');
    assert.equal(localDayOf(new Date('2024-07-14T22:30:00Z')), '2024-07-15');
    const week = weekBounds('2024-03-31');
    assert.equal(week.startDay, '2024-03-25');
    assert.equal(week.start.toISOString(), '2024-03-24T23:00:00.000Z');
    assert.equal(week.end.toISOString(), '2024-03-31T22:00:00.000Z');
    assert.equal(weekBounds('2024-03-25').startDay, '2024-03-25');
    const month = monthBounds('2024-10-27');
    assert.equal(month.start.toISOString(), '2024-09-30T22:00:00.000Z');
    assert.equal(month.end.toISOString(), '2024-10-31T23:00:00.000Z');
    assert.equal(monthBounds('2024-12-05').end.toISOString(), '2024-12-31T23:00:00.000Z');
  });
});
