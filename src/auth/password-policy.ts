import { createRequire } from 'node:module';
import type * as ZxcvbnCore from '@zxcvbn-ts/core';
import type * as ZxcvbnCommon from '@zxcvbn-ts/language-common';
import type * as ZxcvbnFrench from '@zxcvbn-ts/language-fr';
import { AppError } from '../domain/app-error.js';

export const MIN_PASSWORD_LENGTH = 12;

/**
 * Lowest zxcvbn score accepted (0–4). 3 means about 10^8 guesses or more: safe against online guessing
 * and, behind argon2id, long enough against an offline attack on a stolen database.
 */
export const MIN_PASSWORD_SCORE = 3;

/** What a password of this account must not be built from. Every field is optional. */
export interface PasswordContext {
  /** The account's e-mail address (its local part and domain are refused as well). */
  email?: string;
  displayName?: string;
  entrepriseName?: string;
}

/** Shorter words would match inside almost any password and only add noise. */
const MIN_WORD_LENGTH = 3;

/**
 * Characters of a password the estimator reads: beyond, a password is judged on its beginning. Its
 * matching grows faster than linearly with the length (a random 256-character password took ~2.6 s,
 * 64 characters ~0.1 s at most), and the check runs on the request's thread.
 */
const ESTIMATED_LENGTH = 64;

type Estimator = InstanceType<typeof ZxcvbnCore.ZxcvbnFactory>;
let estimator: Estimator | undefined;

/**
 * The estimator with its dictionaries, built on first use and kept: loading and ranking the common and
 * French lists costs ~0.5 s and ~14 MB once; a check then takes ~5–40 ms. Loaded synchronously (CommonJS
 * builds) so that the check stays synchronous, and lazily so that CLI commands that set no password
 * never pay for it.
 */
function zxcvbn(): Estimator {
  if (!estimator) {
    const require = createRequire(import.meta.url);
    const core = require('@zxcvbn-ts/core') as typeof ZxcvbnCore;
    const common = require('@zxcvbn-ts/language-common') as typeof ZxcvbnCommon;
    const french = require('@zxcvbn-ts/language-fr') as typeof ZxcvbnFrench;
    estimator = new core.ZxcvbnFactory({
      translations: french.translations,
      graphs: common.adjacencyGraphs,
      dictionary: { ...common.dictionary, ...french.dictionary },
      maxLength: ESTIMATED_LENGTH,
      // Each l33t substitution tried multiplies the variants matched; a few catch "p4ssw0rd" already.
      l33tMaxSubstitutions: 5,
      // Levenshtein matching against every word costs 0.1–0.3 s per check for little gain.
      useLevenshteinDistance: false,
    });
  }
  return estimator;
}

function withoutAccents(text: string): string {
  return text.normalize('NFD').replace(/\p{M}/gu, '');
}

/**
 * The words a password of this account must not rely on, lower-case, with and without accents:
 * `personal` (the address, its local part, the name, the entreprise: whole, word by word and run
 * together) and `known` (those plus the address's domain, known to the estimator but not removed,
 * since a mail provider's name is an ordinary word).
 */
export function passwordContextWords(context: PasswordContext): { personal: string[]; known: string[] } {
  const personal = new Set<string>();
  const known = new Set<string>();
  const add = (into: Set<string>, value: string) => {
    const word = value.trim().toLowerCase();
    if (word.length < MIN_WORD_LENGTH) return;
    into.add(word);
    into.add(withoutAccents(word));
  };
  const addPhrase = (into: Set<string>, phrase: string) => {
    add(into, phrase);
    const words = phrase
      .toLowerCase()
      .split(/[^\p{L}\p{N}]+/u)
      .filter((w) => w !== '');
    for (const word of words) add(into, word);
    add(into, words.join(''));
  };
  const email = context.email?.trim().toLowerCase();
  if (email) {
    add(personal, email);
    const at = email.lastIndexOf('@');
    addPhrase(personal, at > 0 ? email.slice(0, at) : email);
    if (at > 0) {
      const domain = email.slice(at + 1);
      add(known, domain);
      addPhrase(known, domain.replace(/\.[^.]+$/, ''));
    }
  }
  if (context.displayName) addPhrase(personal, context.displayName);
  if (context.entrepriseName) addPhrase(personal, context.entrepriseName);
  for (const word of personal) known.add(word);
  return { personal: [...personal], known: [...known] };
}

/** The password with every personal word taken out (longest first, case and accents as typed). */
function withoutWords(password: string, words: readonly string[]): string {
  let rest = password;
  for (const word of [...words].sort((a, b) => b.length - a.length)) {
    rest = rest.replace(new RegExp(word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'giu'), '');
  }
  return rest;
}

/** A sentence ends with a full stop, whatever the library's translation did. */
function sentence(text: string): string {
  const trimmed = text.trim();
  return /[.!?…)]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}

/**
 * Refuses a password too weak to protect an account (WEAK_PASSWORD), with `params.reason`:
 * - `too-short`: fewer than MIN_PASSWORD_LENGTH characters;
 * - `guessable`: scored below MIN_PASSWORD_SCORE by zxcvbn (common and French dictionaries, keyboard
 *   patterns, repeats, dates), the context's words counting as known words;
 * - `personal`: strong only thanks to the context's words (what is left without them scores too low),
 *   e.g. the address or the entreprise's name with a year.
 * A refused password carries the library's French advice in `params.advice` when it has some.
 */
export function checkPasswordStrength(password: string, context: PasswordContext = {}): void {
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw new AppError('WEAK_PASSWORD', `a password needs at least ${MIN_PASSWORD_LENGTH} characters`, {
      reason: 'too-short',
      min: MIN_PASSWORD_LENGTH,
    });
  }
  const words = passwordContextWords(context);
  let result = zxcvbn().check(password, words.known);
  let reason = 'guessable';
  if (result.score >= MIN_PASSWORD_SCORE) {
    const rest = withoutWords(password, words.personal);
    if (rest === password) return;
    result = zxcvbn().check(rest, words.known);
    if (result.score >= MIN_PASSWORD_SCORE) return;
    reason = 'personal';
  }
  const { warning, suggestions } = result.feedback;
  const advice = [warning, ...suggestions]
    .filter((s): s is string => !!s)
    .map(sentence)
    .join(' ');
  throw new AppError(
    'WEAK_PASSWORD',
    reason === 'personal'
      ? 'the password relies on the e-mail address, the name or the entreprise of the account'
      : `the password is too easy to guess (score ${result.score} of 4, at least ${MIN_PASSWORD_SCORE} needed)`,
    { reason, min: MIN_PASSWORD_LENGTH, score: result.score, ...(advice ? { advice } : {}) },
  );
}
