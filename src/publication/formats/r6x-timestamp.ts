import { AppError } from '../../domain/app-error.js';

const TIMESTAMP = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01]) ([01]\d|2[0-3]):[0-5]\d:[0-5]\d$/;

/**
 * Refuses anything but the guide's local timestamp `AAAA-MM-JJ hh:mm:ss` (an ISO instant with `T` or `Z`
 * would be silently misread by customers). The check also makes the value safe to write unescaped.
 */
export function checkR6xTimestamp(value: string, what: string): void {
  if (!TIMESTAMP.test(value)) {
    throw new AppError(
      'R6X_CONTENT_INVALID',
      `${what} "${value}" is not a local timestamp AAAA-MM-JJ hh:mm:ss`,
      {
        what,
        value,
      },
    );
  }
}
