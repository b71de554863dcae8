import type { Category } from './identifiers.js';

/**
 * Quality of one curve point (R63 §3.3.1): nature `n`, completion type `tc`, likelihood index `iv`
 * and complementary state `ec`, packed in 16 bits so a day's qualities are one small vector:
 *
 *   bits 0–3 nature (0 = no point), bits 4–7 tc (0 = none), bits 8–9 iv (0 = none, else iv + 1),
 *   bits 10–13 ec (0 = none, else position in EC_CODES + 1).
 */
export const NATURES = ['B', 'C', 'R', 'D', 'H', 'P', 'S', 'T', 'F', 'G', 'E'] as const;
export type Nature = (typeof NATURES)[number];

export const COMPLETION_TYPES = ['F', 'G', 'N', 'H', 'I', 'O', 'J', 'K', 'L', 'C', 'A', 'M'] as const;
export type CompletionType = (typeof COMPLETION_TYPES)[number];

export const EC_CODES = [0, 1, 5, 6, 7, 8, 9, 10, 11] as const;

export type Stage = 'BRUT' | 'BEST';

/** Natures a point may carry, per category and stage (guide table 3.3.1.1). */
export const ALLOWED_NATURES: Readonly<Record<Category, Readonly<Record<Stage, readonly Nature[]>>>> = {
  A: {
    BRUT: ['R', 'H', 'P', 'S', 'T', 'F', 'G'],
    BEST: ['R', 'C', 'D', 'H', 'P', 'S', 'T', 'F', 'G', 'E'],
  },
  B: { BRUT: ['B'], BEST: ['B'] },
};

/** Completion types per nature (guide table 3.3.1.2): corrections for `C`, estimations for `E`. */
export const COMPLETIONS_FOR: Readonly<Partial<Record<Nature, readonly CompletionType[]>>> = {
  C: ['F', 'G', 'N', 'H', 'I', 'O', 'J', 'K', 'L'],
  E: ['C', 'A', 'M'],
};

/** The decoded quality of a point; `undefined` fields are absent (`null` in files). */
export interface PointQuality {
  n: Nature;
  tc?: CompletionType | undefined;
  iv?: number | undefined;
  ec?: number | undefined;
}

export const NO_POINT = 0;

export function packQuality(q: PointQuality): number {
  const n = NATURES.indexOf(q.n) + 1;
  const tc = q.tc === undefined ? 0 : COMPLETION_TYPES.indexOf(q.tc) + 1;
  const iv = q.iv === undefined ? 0 : q.iv + 1;
  const ec = q.ec === undefined ? 0 : (EC_CODES as readonly number[]).indexOf(q.ec) + 1;
  return n | (tc << 4) | (iv << 8) | (ec << 10);
}

/** `packQuality` without building an object (hot path of file readers). */
export function packQualityParts(
  n: Nature,
  tc: CompletionType | undefined,
  iv: number | undefined,
  ec: number | undefined,
): number {
  return (
    (NATURES.indexOf(n) + 1) |
    ((tc === undefined ? 0 : COMPLETION_TYPES.indexOf(tc) + 1) << 4) |
    ((iv === undefined ? 0 : iv + 1) << 8) |
    ((ec === undefined ? 0 : (EC_CODES as readonly number[]).indexOf(ec) + 1) << 10)
  );
}

export function isPresent(code: number): boolean {
  return (code & 0xf) !== 0;
}

export function natureOf(code: number): Nature | undefined {
  return NATURES[(code & 0xf) - 1];
}

export function unpackQuality(code: number): PointQuality | undefined {
  const n = natureOf(code);
  if (!n) return undefined;
  const tc = (code >> 4) & 0xf;
  const iv = (code >> 8) & 0x3;
  const ec = (code >> 10) & 0xf;
  return {
    n,
    tc: tc ? COMPLETION_TYPES[tc - 1] : undefined,
    iv: iv ? iv - 1 : undefined,
    ec: ec ? EC_CODES[ec - 1] : undefined,
  };
}

/** Frequent codes, precomputed. */
export const QUALITY = {
  R: packQuality({ n: 'R' }),
  B_OK: packQuality({ n: 'B', iv: 0, ec: 0 }),
} as const;
