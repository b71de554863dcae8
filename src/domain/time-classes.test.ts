import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cadranOf, dayTimeClasses, registersOf, timeClassAt } from './time-classes.js';

const at = (iso: string) => new Date(iso).getTime();

describe('time classes', () => {
  it('DI000001 is BASE all day', () => {
    assert.equal(timeClassAt('DI000001', at('2024-01-15T03:00:00Z')), 'BASE');
  });

  it('DI000002 is off-peak from 22:00 to 06:00 Paris time', () => {
    assert.equal(timeClassAt('DI000002', at('2024-01-15T20:59:00Z')), 'HP'); // 21:59 local
    assert.equal(timeClassAt('DI000002', at('2024-01-15T21:00:00Z')), 'HC'); // 22:00 local
    assert.equal(timeClassAt('DI000002', at('2024-07-15T03:59:00Z')), 'HC'); // 05:59 local (UTC+2)
    assert.equal(timeClassAt('DI000002', at('2024-07-15T04:00:00Z')), 'HP'); // 06:00 local
  });

  it('DI000003 has winter November to March, peak hours on winter weekdays December to February', () => {
    assert.equal(timeClassAt('DI000003', at('2024-01-15T08:00:00Z')), 'P'); // Monday 09:00
    assert.equal(timeClassAt('DI000003', at('2024-01-15T17:30:00Z')), 'P'); // Monday 18:30
    assert.equal(timeClassAt('DI000003', at('2024-01-13T08:00:00Z')), 'HPH'); // Saturday 09:00
    assert.equal(timeClassAt('DI000003', at('2024-01-14T12:00:00Z')), 'HCH'); // Sunday
    assert.equal(timeClassAt('DI000003', at('2024-11-04T08:00:00Z')), 'HPH'); // November, no peak
    assert.equal(timeClassAt('DI000003', at('2024-03-29T22:00:00Z')), 'HCH'); // 23:00 local in March
    assert.equal(timeClassAt('DI000003', at('2024-04-02T10:00:00Z')), 'HPE'); // April = summer
    assert.equal(timeClassAt('DI000003', at('2024-10-31T23:30:00Z')), 'HCH'); // 00:30 on 1 November
  });

  it('classifies every point of a day', () => {
    const classes = dayTimeClasses('2024-01-15', 5, 'DI000003');
    assert.equal(classes.length, 288);
    assert.equal(classes[0], 2); // 00:00 HCH
    assert.equal(classes[9 * 12], 0); // 09:00 P
    assert.equal(classes[12 * 12], 1); // 12:00 HPH
    assert.equal(dayTimeClasses('2024-03-31', 30, 'DI000002').length, 46);
  });

  it('lists registers and cadrans', () => {
    assert.deepEqual(registersOf('DI000002', 'B'), ['HP', 'HC', 'TOTAL']);
    assert.equal(cadranOf('DI000002', 'B', 'HC'), 'IDX_EAS_D2');
    assert.equal(cadranOf('DI000002', 'B', 'TOTAL'), 'IDX_EAS_T');
    assert.equal(cadranOf('DI000003', 'A', 'HCE'), 'EA5');
  });
});
