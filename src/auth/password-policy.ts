import { AppError } from '../domain/app-error.js';

export const MIN_PASSWORD_LENGTH = 12;

/** Refuses a password too weak to protect an account (WEAK_PASSWORD). */
export function checkPasswordStrength(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw new AppError('WEAK_PASSWORD', `a password needs at least ${MIN_PASSWORD_LENGTH} characters`, {
      min: MIN_PASSWORD_LENGTH,
    });
  }
}
