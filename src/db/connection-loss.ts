import { setTimeout as sleep } from 'node:timers/promises';

/** SQLSTATE classes and codes that mean the connection, not the statement, failed. */
const CONNECTION_STATES = /^(08|57P0[1-3])/;
const CONNECTION_MESSAGES =
  /Connection terminated|connection error and is not queryable|terminating connection|ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT/;

/**
 * Whether an error is the loss of the database connection (server restart, failover,
 * `pg_terminate_backend`, network) rather than a fault of the statement: the same statement on a new
 * connection may succeed.
 */
export function isConnectionLoss(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && CONNECTION_STATES.test(code)) return true;
  if (typeof code === 'string' && CONNECTION_MESSAGES.test(code)) return true;
  return typeof message === 'string' && CONNECTION_MESSAGES.test(message);
}

/**
 * Runs `statement`, again on connection loss (a new connection each time), up to `attempts` times with
 * doubling pauses from `firstDelayMs` (default 5 attempts over ~3 s, about a server restart). For the
 * recording of work already done (a file sent, a run given back), which the process must not leave to
 * its lease: a delivery recorded as failed would be sent again, a run or a row left leased would wait
 * minutes. The statement must be idempotent (guarded by the lease owner, as those records are).
 */
export async function retryOnConnectionLoss<T>(
  statement: () => Promise<T>,
  options: { attempts?: number; firstDelayMs?: number } = {},
): Promise<T> {
  const attempts = options.attempts ?? 5;
  let delay = options.firstDelayMs ?? 200;
  for (let attempt = 1; ; attempt++) {
    try {
      return await statement();
    } catch (error) {
      if (attempt >= attempts || !isConnectionLoss(error)) throw error;
      await sleep(delay);
      delay *= 2;
    }
  }
}
