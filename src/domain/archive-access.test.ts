import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { codeOf } from '../../test/support/app-errors.js';
import { checkSearchRange, oldestAccessibleDay, retentionCutoff } from './archive-access.js';

// 2026-10-27 01:00 in Paris (winter time).
const NOW = new Date('2026-10-27T00:00:00Z');

describe('archive access window', () => {
  it('opens on 09/08/2018, the first archived day, while the 4 years reach further back', () => {
    const early = new Date('2021-06-15T10:00:00Z'); // 4 years back is 2017-06-15
    assert.equal(oldestAccessibleDay(early), '2018-08-09');
    assert.equal(
      codeOf(() => checkSearchRange('2018-08-09', '2018-08-09', early)),
      undefined,
    );
    assert.equal(
      codeOf(() => checkSearchRange('2018-08-08', undefined, early)),
      'SEARCH_DATE_BEFORE_ARCHIVE',
    );
    assert.equal(
      codeOf(() => checkSearchRange(undefined, '2018-08-08', early)),
      'SEARCH_DATE_BEFORE_ARCHIVE',
    );
  });

  it('keeps four years of Paris days: the oldest day is searchable, the one before is not', () => {
    assert.equal(oldestAccessibleDay(NOW), '2022-10-27');
    assert.equal(
      codeOf(() => checkSearchRange('2022-10-27', '2026-10-27', NOW)),
      undefined,
    );
    assert.equal(
      codeOf(() => checkSearchRange('2022-10-26', undefined, NOW)),
      'SEARCH_DATE_OUTSIDE_RETENTION',
    );
  });

  it('accepts a single day and refuses a start after the end', () => {
    assert.equal(
      codeOf(() => checkSearchRange('2026-10-01', '2026-10-01', NOW)),
      undefined,
    );
    assert.equal(
      codeOf(() => checkSearchRange('2026-10-02', '2026-10-01', NOW)),
      'SEARCH_DATE_RANGE_INVALID',
    );
  });

  it('purges what is older than four calendar years, at the same Paris time', () => {
    // 2022-10-27 01:00 in Paris was still summer time (UTC+2).
    assert.equal(retentionCutoff(NOW).toISOString(), '2022-10-26T23:00:00.000Z');
  });
});
