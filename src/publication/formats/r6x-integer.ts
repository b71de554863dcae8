import { AppError } from '../../domain/app-error.js';

/**
 * A value as the guide writes it: "arrondi à l'entier le plus proche". Halves round away from zero
 * (2.5 → 3, -2.5 → -3), the usual reading of that phrase; -0 is written 0.
 */
export function formatR6xInteger(value: number, what: string): string {
  if (!Number.isFinite(value)) {
    throw new AppError('R6X_CONTENT_INVALID', `${what} ${value} is not a finite number`, { what });
  }
  const rounded = value >= 0 ? Math.floor(value + 0.5) : -Math.floor(-value + 0.5);
  return rounded === 0 ? '0' : `${rounded}`;
}
