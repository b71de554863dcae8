import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { codeOf } from '../../test/support/app-errors.js';
import {
  categoryOf,
  checkSubscribedPower,
  isSiren,
  luhnValid,
  parsePrm,
  parseSegment,
  parseSiren,
  parseStep,
} from './identifiers.js';

describe('SIREN', () => {
  it('accepts valid Luhn checksums', () => {
    for (const siren of ['356000000', '552100554', '732829320', '443061841'])
      assert.equal(isSiren(siren), true, siren);
  });
  it('refuses a wrong checksum, naming the rule', () => {
    assert.throws(() => parseSiren('356000001'), /Luhn/);
    assert.equal(isSiren('552100555'), false);
  });
  it('refuses anything but 9 digits', () => {
    // 12345674 and 7328293209 pass Luhn: only their length is wrong.
    for (const bad of ['35600000', '12345674', '3560000000', '7328293209', '35600000a', '', ' 356 000 000']) {
      assert.equal(
        codeOf(() => parseSiren(bad)),
        'INVALID_SIREN',
        bad,
      );
    }
  });
  it('computes Luhn the standard way', () => {
    assert.equal(luhnValid('79927398713'), true);
    assert.equal(luhnValid('79927398710'), false);
  });
});

describe('PRM', () => {
  it('accepts 14 digits', () => assert.equal(parsePrm('30001000000001'), '30001000000001'));
  it('refuses 13 and 15 digits and letters', () => {
    for (const bad of ['3000100000000', '300010000000011', '3000100000000A']) {
      assert.equal(
        codeOf(() => parsePrm(bad)),
        'INVALID_PRM',
        bad,
      );
    }
  });
});

describe('segment and category', () => {
  it('derives A for C1, C2, C4 and B for C5', () => {
    assert.deepEqual(
      ['C1', 'C2', 'C4', 'C5'].map((s) => categoryOf(parseSegment(s))),
      ['A', 'A', 'A', 'B'],
    );
  });
  it('refuses the obsolete C3 with a reason', () => {
    assert.throws(() => parseSegment('C3'), /obsolete/);
  });
  it('refuses unknown segments', () =>
    assert.equal(
      codeOf(() => parseSegment('C6')),
      'INVALID_SEGMENT',
    ));
  it('accepts lower case', () => assert.equal(parseSegment('c5'), 'C5'));
});

describe('curve step', () => {
  it('allows only PT5M for category A', () => {
    assert.equal(parseStep('PT5M', 'A'), 'PT5M');
    assert.equal(
      codeOf(() => parseStep('PT30M', 'A')),
      'INVALID_STEP',
    );
  });
  it('allows PT10M to PT60M for category B', () => {
    for (const step of ['PT10M', 'PT15M', 'PT30M', 'PT60M']) assert.equal(parseStep(step, 'B'), step);
    assert.equal(
      codeOf(() => parseStep('PT5M', 'B')),
      'INVALID_STEP',
    );
  });
});

describe('subscribed power', () => {
  it('is at most 36 kVA for C5 and above 36 kVA for C1-C4', () => {
    assert.doesNotThrow(() => checkSubscribedPower(36, 'C5'));
    assert.throws(() => checkSubscribedPower(37, 'C5'), /at most 36/);
    assert.doesNotThrow(() => checkSubscribedPower(37, 'C4'));
    assert.throws(() => checkSubscribedPower(36, 'C4'), /more than 36/);
    assert.throws(() => checkSubscribedPower(-1, 'C5'), /positive/);
  });
});
