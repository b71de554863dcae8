/**
 * Errors that mean "another process got there first": a unique-constraint conflict, or SQLite's write
 * lock taken by another connection. Callers that are idempotent by key can stop and retry later.
 */
export function isConcurrencyConflict(error: unknown): boolean {
  const code = String((error as { code?: unknown } | undefined)?.code ?? '');
  return (
    code === '23505' ||
    code === '40001' ||
    code.startsWith('SQLITE_CONSTRAINT') ||
    code.startsWith('SQLITE_BUSY')
  );
}

/** A unique constraint refused the row (PostgreSQL 23505, SQLite SQLITE_CONSTRAINT_UNIQUE). */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}
