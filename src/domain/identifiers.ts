import { AppError } from './app-error.js';

/** A 9-digit SIREN whose Luhn checksum holds (356000000 is the classic valid example). */
export type Siren = string & { readonly __brand: 'Siren' };
/** A 14-digit Point de Référence Mesure (no checksum). */
export type Prm = string & { readonly __brand: 'Prm' };

export const SEGMENTS = ['C1', 'C2', 'C4', 'C5'] as const;
export type Segment = (typeof SEGMENTS)[number];

/** `A` = more than 36 kVA (flux R63A/R64A), `B` = 36 kVA or less (flux R63B/R64B). */
export type Category = 'A' | 'B';

export const CURVE_STEPS = ['PT5M', 'PT10M', 'PT15M', 'PT30M', 'PT60M'] as const;
export type CurveStep = (typeof CURVE_STEPS)[number];

/** Allowed curve steps per category: C1–C4 publish at 5 minutes, Linky (C5) at 10 to 60 minutes. */
export const STEPS_BY_CATEGORY: Readonly<Record<Category, readonly CurveStep[]>> = {
  A: ['PT5M'],
  B: ['PT10M', 'PT15M', 'PT30M', 'PT60M'],
};

export const DEFAULT_STEP: Readonly<Record<Category, CurveStep>> = { A: 'PT5M', B: 'PT30M' };

export function stepMinutes(step: CurveStep): number {
  return Number(step.slice(2, -1));
}

export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

export function isSiren(value: string): value is Siren {
  return /^\d{9}$/.test(value) && luhnValid(value);
}

export function parseSiren(value: string): Siren {
  const trimmed = value.trim();
  if (!/^\d{9}$/.test(trimmed)) {
    throw new AppError('INVALID_SIREN', `SIREN "${value}" must be exactly 9 digits`, { value });
  }
  if (!luhnValid(trimmed)) {
    throw new AppError('INVALID_SIREN', `SIREN "${value}" fails the Luhn checksum`, { value });
  }
  return trimmed as Siren;
}

export function isPrm(value: string): value is Prm {
  return /^\d{14}$/.test(value);
}

export function parsePrm(value: string): Prm {
  const trimmed = value.trim();
  if (!isPrm(trimmed)) {
    throw new AppError('INVALID_PRM', `PRM "${value}" must be exactly 14 digits`, { value });
  }
  return trimmed;
}

export function parseSegment(value: string): Segment {
  const upper = value.trim().toUpperCase();
  if (upper === 'C3') {
    throw new AppError('INVALID_SEGMENT', 'segment C3 is obsolete and no longer accepted', { value });
  }
  if (!(SEGMENTS as readonly string[]).includes(upper)) {
    throw new AppError('INVALID_SEGMENT', `segment "${value}" is not one of ${SEGMENTS.join(', ')}`, {
      value,
    });
  }
  return upper as Segment;
}

/** C1, C2 and C4 meter more than 36 kVA (category A); C5 (Linky) 36 kVA or less (category B). */
export function categoryOf(segment: Segment): Category {
  return segment === 'C5' ? 'B' : 'A';
}

export function parseStep(value: string, category: Category): CurveStep {
  const upper = value.trim().toUpperCase();
  const allowed = STEPS_BY_CATEGORY[category];
  if (!(allowed as readonly string[]).includes(upper)) {
    throw new AppError(
      'INVALID_STEP',
      `curve step "${value}" is not allowed for category ${category} (allowed: ${allowed.join(', ')})`,
      { value, category },
    );
  }
  return upper as CurveStep;
}

/** Subscribed power must agree with the segment: above 36 kVA for C1–C4, at most 36 kVA for C5. */
export function checkSubscribedPower(kva: number, segment: Segment): void {
  if (!Number.isFinite(kva) || kva <= 0) {
    throw new AppError('INVALID_INPUT', `subscribed power "${kva}" must be a positive number of kVA`, {});
  }
  const category = categoryOf(segment);
  if (category === 'B' && kva > 36) {
    throw new AppError('INVALID_INPUT', `segment C5 allows at most 36 kVA, got ${kva}`, {});
  }
  if (category === 'A' && kva <= 36) {
    throw new AppError('INVALID_INPUT', `segment ${segment} needs more than 36 kVA, got ${kva}`, {});
  }
}
