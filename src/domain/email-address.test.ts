import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from './app-error.js';
import { normalizeEmailAddress } from './email-address.js';

function problemOf(input: string): string | undefined {
  try {
    normalizeEmailAddress(input);
    return undefined;
  } catch (error) {
    assert.ok(error instanceof AppError);
    assert.equal(error.code, 'INVALID_EMAIL');
    assert.equal(error.params.field, 'email');
    return String(error.params.reason);
  }
}

describe('e-mail address rule', () => {
  it('keeps one address, trimmed and lower-cased', () => {
    assert.equal(
      normalizeEmailAddress('  Jean.Dupont@Energies-Alpha.FR \n'),
      'jean.dupont@energies-alpha.fr',
    );
    assert.equal(normalizeEmailAddress("o'brien+portail@sous.domaine.fr"), "o'brien+portail@sous.domaine.fr");
    assert.equal(normalizeEmailAddress('a@xn--nergie-bva.fr'), 'a@xn--nergie-bva.fr');
  });

  it('refuses an empty field', () => {
    assert.equal(problemOf(''), 'empty');
    assert.equal(problemOf('   '), 'empty');
  });

  it('refuses lists of addresses', () => {
    assert.equal(problemOf('a@x.fr, evil@y.fr'), 'several');
    assert.equal(problemOf('a@x, evil@y'), 'several');
    assert.equal(problemOf('a@x.fr;evil@y.fr'), 'several');
    assert.equal(problemOf('a@x.fr evil@y.fr'), 'several');
  });

  it('refuses display names', () => {
    assert.equal(problemOf('Jean Dupont <jean@alpha.fr>'), 'display-name');
    assert.equal(problemOf('<jean@alpha.fr>'), 'display-name');
    assert.equal(problemOf('"jean"@alpha.fr'), 'display-name');
  });

  it('refuses addresses longer than 254 characters', () => {
    const label = 'a'.repeat(60);
    const long = `jean@${[label, label, label, label, label].join('.')}.fr`;
    assert.ok(long.length > 254);
    assert.equal(problemOf(long), 'too-long');
    assert.equal(problemOf(`${'a'.repeat(65)}@alpha.fr`), 'syntax', 'local part above 64');
    const domain = `${'a'.repeat(63)}.${[label, label, label].join('.')}.fr`;
    assert.equal(`jean@${domain}`.length, 254);
    assert.equal(problemOf(`jean@${domain}`), undefined, '254 characters: the longest allowed');
    assert.equal(problemOf(`jeans@${domain}`), 'too-long', '255 characters');
  });

  it('refuses what is not local@domain.tld', () => {
    for (const input of [
      'not-an-email',
      '@alpha.fr',
      'jean@',
      'jean@alpha',
      'jean@alpha.',
      'jean@.alpha.fr',
      'jean@alpha..fr',
      'jean..dupont@alpha.fr',
      '.jean@alpha.fr',
      'jean @alpha.fr',
      'jean@alpha.f',
      'jean@-alpha.fr',
      'jean@alpha.123',
      'jéan@alpha.fr',
      'jean@alpha.fr\u0000',
    ]) {
      assert.equal(problemOf(input), 'syntax', input);
    }
  });
});
