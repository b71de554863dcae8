/**
 * The one error type of Publiwatt. `code` is stable and machine-readable (API clients match on it);
 * `detail` is an English sentence for logs and the CLI; `params` feed the French message built at the edge.
 */
export class AppError extends Error {
  override readonly name = 'AppError';

  constructor(
    readonly code: ErrorCode,
    readonly detail: string,
    readonly params: Readonly<Record<string, string | number>> = {},
    options?: { cause?: unknown },
  ) {
    super(detail, options);
  }
}

/** Every failure the product reports, with the HTTP status it maps to. */
export const ERROR_STATUS = {
  INVALID_CONFIGURATION: 500,
  INVALID_INPUT: 400,
  INVALID_SIREN: 400,
  INVALID_PRM: 400,
  INVALID_SEGMENT: 400,
  INVALID_STEP: 400,
  INVALID_DATE: 400,
  REGISTRY_IMPORT_REJECTED: 400,
  ATTACHMENT_OVERLAP: 409,
  NOT_FOUND: 404,
  INTERNAL: 500,
  DECRYPTION_FAILED: 400,
  IMPORT_REJECTED: 400,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** Coerces anything thrown into an AppError, once, at an edge. */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new AppError('INTERNAL', message, {}, { cause: error });
}
