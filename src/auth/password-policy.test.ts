import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { AppError } from '../domain/app-error.js';
import { frenchMessage } from '../web/error-messages.js';
import { checkPasswordStrength, type PasswordContext } from './password-policy.js';

/** The refusal of a password, or undefined when it is accepted. */
function refusalOf(password: string, context: PasswordContext = {}): AppError | undefined {
  try {
    checkPasswordStrength(password, context);
    return undefined;
  } catch (error) {
    assert.ok(error instanceof AppError);
    assert.equal(error.code, 'WEAK_PASSWORD');
    return error;
  }
}

const ALICE: PasswordContext = {
  email: 'alice.martin@energies-alpha.fr',
  displayName: 'Alice Martin',
  entrepriseName: 'Énergies Alpha SA',
};

describe('password policy', () => {
  it('refuses fewer than 12 characters, saying how to choose one', () => {
    const refusal = refusalOf('Xk9#mQ2$vL7');
    assert.equal(refusal?.params.reason, 'too-short');
    assert.match(frenchMessage(refusal!), /au moins 12 caractères.*phrase de plusieurs mots/);
  });

  it('refuses 12 characters that are easy to guess', () => {
    for (const password of [
      '            ',
      'aaaaaaaaaaaa',
      'motdepasse123',
      '123456789012',
      'azertyuiop12',
    ]) {
      assert.equal(refusalOf(password)?.params.reason, 'guessable', JSON.stringify(password));
    }
  });

  it("refuses the account's own address and passwords built from it, its name or its entreprise", () => {
    assert.equal(refusalOf(ALICE.email!, ALICE)?.params.reason, 'guessable');
    for (const password of [
      'Alice.Martin@Energies-Alpha.fr',
      'alice.martin2026!',
      'AliceMartin-2026',
      'energiesalpha2026',
      'Énergies Alpha SA 2026',
      'martin-alice-alpha!',
      'martin.alice@alpha.fr',
    ]) {
      assert.ok(refusalOf(password, ALICE), password);
    }
    assert.equal(refusalOf('alice.martin2026!')?.params.reason, undefined, 'only for that account');
  });

  it('accepts long phrases and random passwords', () => {
    for (const password of [
      'cheval-agrafe-pile-correcte',
      'bonjour tout le monde',
      'Nina-password-2026',
      'kX9#mQ2$vL7p',
      randomBytes(24).toString('base64'),
      'alice-prend-le-train-de-nuit',
    ]) {
      assert.equal(refusalOf(password, ALICE), undefined, password);
    }
  });

  it('explains a refusal in French, with the advice of the estimator and no raw code', () => {
    const refusal = refusalOf('aaaaaaaaaaaa')!;
    const message = frenchMessage(refusal);
    assert.match(message, /^Ce mot de passe est trop facile à deviner\. .*phrase de plusieurs mots/);
    assert.match(message, /Conseil : .*répétés/);
    assert.doesNotMatch(message, /WEAK_PASSWORD|score|guessable/);
    const personal = frenchMessage(refusalOf('Énergies Alpha SA 2026', ALICE)!);
    assert.match(personal, /repose sur l'adresse e-mail, le nom ou l'entreprise du compte/);
  });

  it('judges a long password on its first 64 characters, quickly', () => {
    refusalOf('warm-up-phrase-of-words');
    const started = performance.now();
    assert.equal(refusalOf(randomBytes(768).toString('base64')), undefined);
    assert.ok(refusalOf('a'.repeat(1024)), 'a long repeat is still refused');
    // A random 256-character password alone took ~2.6 s when the whole of it was matched.
    assert.ok(performance.now() - started < 1500, `${performance.now() - started} ms`);
  });
});
