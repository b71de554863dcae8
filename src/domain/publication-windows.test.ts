import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  endedWindowsSince,
  isWindowStart,
  nextWindow,
  parseWindowStart,
  windowContaining,
} from './publication-windows.js';
import { formatLocal } from './paris-calendar.js';

const hours = (w: { start: Date; end: Date }) => (w.end.getTime() - w.start.getTime()) / 3_600_000;

describe('publication windows (Paris calendar)', () => {
  it('a daily window is the local day, 23 h on the spring DST day and 25 h on the autumn one', () => {
    const spring = windowContaining('Q', new Date('2026-03-29T12:00:00Z'));
    assert.equal(spring.start.toISOString(), '2026-03-28T23:00:00.000Z');
    assert.equal(hours(spring), 23);
    const autumn = windowContaining('Q', new Date('2026-10-25T12:00:00Z'));
    assert.equal(autumn.start.toISOString(), '2026-10-24T22:00:00.000Z');
    assert.equal(hours(autumn), 25);
    assert.equal(hours(windowContaining('Q', new Date('2026-06-10T12:00:00Z'))), 24);
  });

  it('a local midnight instant starts its own day, one millisecond before belongs to the previous day', () => {
    const midnight = new Date('2026-06-09T22:00:00Z'); // 2026-06-10 00:00 in Paris
    assert.equal(windowContaining('Q', midnight).start.toISOString(), midnight.toISOString());
    const before = new Date(midnight.getTime() - 1);
    assert.equal(windowContaining('Q', before).end.toISOString(), midnight.toISOString());
  });

  it('a weekly window runs Monday 00:00 to Monday 00:00 Paris time', () => {
    const w = windowContaining('H', new Date('2026-11-28T12:00:00Z')); // a Saturday
    assert.equal(formatLocal(w.start), '2026-11-23 00:00:00');
    assert.equal(formatLocal(w.end), '2026-11-30 00:00:00');
    const dst = windowContaining('H', new Date('2026-10-25T12:00:00Z'));
    assert.equal(hours(dst), 169);
  });

  it('a monthly window runs from the 1st to the 1st, whatever the month length', () => {
    const feb = windowContaining('M', new Date('2028-02-29T23:30:00Z')); // already 1 March in Paris
    assert.equal(formatLocal(feb.start), '2028-03-01 00:00:00');
    const leap = windowContaining('M', new Date('2028-02-15T10:00:00Z'));
    assert.equal(formatLocal(leap.end), '2028-03-01 00:00:00');
    assert.equal(hours(leap), 29 * 24);
    const dec = windowContaining('M', new Date('2026-12-31T22:59:59Z'));
    assert.equal(formatLocal(dec.end), '2027-01-01 00:00:00');
    assert.equal(hours(windowContaining('M', new Date('2026-03-10T00:00:00Z'))), 31 * 24 - 1);
  });

  it('consecutive windows touch without gap or overlap', () => {
    for (const frequency of ['Q', 'H', 'M'] as const) {
      let w = windowContaining(frequency, new Date('2025-12-20T00:00:00Z'));
      for (let i = 0; i < 60; i++) {
        const next = nextWindow(w);
        assert.equal(next.start.getTime(), w.end.getTime());
        assert.ok(isWindowStart(frequency, next.start));
        w = next;
      }
    }
  });

  it('lists the ended windows from the one containing the effective instant, none not yet ended', () => {
    const effective = new Date('2026-11-25T09:30:00Z');
    const ended = endedWindowsSince('Q', effective, new Date('2026-11-27T23:00:00Z'));
    assert.deepEqual(
      ended.map((w) => formatLocal(w.start)),
      ['2026-11-25 00:00:00', '2026-11-26 00:00:00', '2026-11-27 00:00:00'],
    );
    assert.equal(endedWindowsSince('Q', effective, new Date('2026-11-27T22:59:59.999Z')).length, 2);
  });

  it('parses window starts given as local dates or instants', () => {
    assert.equal(parseWindowStart('2026-10-25')?.toISOString(), '2026-10-24T22:00:00.000Z');
    assert.equal(parseWindowStart('2026-01-05T00:00:00+01:00')?.toISOString(), '2026-01-04T23:00:00.000Z');
    assert.equal(parseWindowStart('yesterday'), undefined);
  });
});
