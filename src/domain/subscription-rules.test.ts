import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { codeOf } from '../../test/support/app-errors.js';
import {
  checkChannelAssociationAllowed,
  checkFormatAllowed,
  effectiveAtFor,
  formatForWindow,
  statusAt,
  type FormatChange,
} from './subscription-rules.js';

describe('subscription rules', () => {
  it('allows CSV up to 100 PRM and refuses it at 101', () => {
    assert.doesNotThrow(() => checkFormatAllowed('CSV', 100));
    assert.equal(
      codeOf(() => checkFormatAllowed('CSV', 101)),
      'CSV_NOT_ALLOWED_OVER_100_PRM',
    );
  });

  it('always allows JSON', () => {
    assert.doesNotThrow(() => checkFormatAllowed('JSON', 0));
    assert.doesNotThrow(() => checkFormatAllowed('JSON', 100_000));
  });

  it('makes a subscription effective exactly 72 hours after the request', () => {
    const requested = new Date('2026-03-27T10:15:00Z');
    const effective = effectiveAtFor(requested);
    assert.equal(
      effective.toISOString(),
      '2026-03-30T10:15:00.000Z',
      '72 h of real time, across the DST change',
    );
    const sub = { effectiveAt: effective, endedAt: null };
    assert.equal(statusAt(sub, new Date(effective.getTime() - 1000)), 'PENDING', '72 h minus one second');
    assert.equal(statusAt(sub, effective), 'EFFECTIVE', '72 h exactly');
  });

  it('refuses channel association until the subscription is effective', () => {
    const sub = { effectiveAt: new Date('2026-03-05T09:00:00Z'), endedAt: null };
    assert.equal(
      codeOf(() => checkChannelAssociationAllowed(sub, new Date('2026-03-05T08:59:59Z'))),
      'SUBSCRIPTION_NOT_YET_EFFECTIVE',
    );
    assert.doesNotThrow(() => checkChannelAssociationAllowed(sub, new Date('2026-03-05T09:00:00Z')));
    assert.equal(
      codeOf(() =>
        checkChannelAssociationAllowed(
          { ...sub, endedAt: new Date('2026-03-06T00:00:00Z') },
          new Date('2026-03-07T00:00:00Z'),
        ),
      ),
      'SUBSCRIPTION_ENDED',
    );
  });

  describe('format of a window', () => {
    const initial: FormatChange = { format: 'CSV', from: new Date('2026-03-02T09:00:00Z'), cause: 'INITIAL' };

    it('uses the initial format for a first window that starts before the request', () => {
      assert.equal(formatForWindow([initial], new Date('2026-03-01T23:00:00Z')), 'CSV');
    });

    it('applies a requested change from the next window, not the current one', () => {
      const change: FormatChange = {
        format: 'JSON',
        from: new Date('2026-03-10T14:00:00Z'),
        cause: 'REQUEST',
      };
      // Daily windows, Paris midnight: the 10th started before the change, the 11th after it.
      assert.equal(formatForWindow([initial, change], new Date('2026-03-09T23:00:00Z')), 'CSV');
      assert.equal(formatForWindow([initial, change], new Date('2026-03-10T23:00:00Z')), 'JSON');
    });

    it('applies a change made exactly at a window start to that window', () => {
      const atMidnight: FormatChange = {
        format: 'JSON',
        from: new Date('2026-03-10T23:00:00Z'), // 2026-03-11 00:00 in Paris
        cause: 'REQUEST',
      };
      assert.equal(formatForWindow([initial, atMidnight], new Date('2026-03-10T23:00:00Z')), 'JSON');
      assert.equal(formatForWindow([initial, atMidnight], new Date('2026-03-09T23:00:00Z')), 'CSV');
    });

    it('applies a switch forced by the 100-PRM rule to the very next publication', () => {
      const forced: FormatChange = {
        format: 'JSON',
        from: new Date('2026-03-10T14:00:00Z'),
        cause: 'PRM_LIMIT',
      };
      assert.equal(formatForWindow([initial, forced], new Date('2026-03-09T23:00:00Z')), 'JSON');
    });
  });
});
