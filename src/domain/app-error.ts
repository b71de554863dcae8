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
  NOT_FOUND: 404,
  INTERNAL: 500,
  R6X_CONTENT_INVALID: 500,
  PUBLICATION_NAME_INVALID: 500,
  CSV_NOT_ALLOWED_OVER_100_PRM: 422,
  SUBSCRIPTION_NOT_YET_EFFECTIVE: 409,
  SUBSCRIPTION_ENDED: 409,
  NOT_IN_CATALOG: 400,
  DUPLICATE_GRID_LINE: 400,
  UNAUTHENTICATED: 401,
  INVALID_CREDENTIALS: 401,
  ACCOUNT_LOCKED: 429,
  RATE_LIMITED: 429,
  CSRF_INVALID: 403,
  FORBIDDEN_HABILITATION: 403,
  OPERATOR_ONLY: 403,
  SELF_RIGHTS_WIDENING: 403,
  PERIMETER_BEYOND_OWN: 403,
  LAST_USER_MANAGER: 409,
  EMAIL_TAKEN: 409,
  INVALID_EMAIL: 400,
  WEAK_PASSWORD: 400,
  INVALID_INVITATION: 400,
  UNSUPPORTED_MEDIA_TYPE: 415,
  CUSTOMER_ONLY: 403,
  CONCURRENT_CHANGE: 409,
  INVALID_ENCRYPTION_KEY: 400,
  DECRYPTION_FAILED: 400,
  MASTER_KEY_MISMATCH: 500,
  MASTER_KEY_ROTATION_UNFINISHED: 500,
  PASSWORD_CONFIRMATION_FAILED: 403,
  CHANNEL_INVALID: 400,
  CHANNEL_NOT_ACTIVABLE: 409,
  CONFIRMATION_TOKEN_INVALID: 400,
  HOST_KEY_MISMATCH: 409,
  DELIVERY_FAILED: 502,
  SEARCH_DATE_BEFORE_ARCHIVE: 400,
  SEARCH_DATE_OUTSIDE_RETENTION: 400,
  SEARCH_DATE_RANGE_INVALID: 400,
  WINDOW_INVALID: 400,
  WINDOW_HAS_NO_DATA: 409,
  RUN_NOT_RETRYABLE: 409,
  IMPORT_REJECTED: 400,
  UPLOAD_TOO_LARGE: 413,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** Coerces anything thrown into an AppError, once, at an edge. */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new AppError('INTERNAL', message, {}, { cause: error });
}
