import { AppError } from '../../src/domain/app-error.js';

/** The code of the AppError `fn` throws, `NOT_APP_ERROR` for another error, undefined when it throws none. */
export function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof AppError ? error.code : 'NOT_APP_ERROR';
  }
  return undefined;
}
