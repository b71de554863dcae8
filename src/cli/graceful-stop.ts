import type { Logger } from 'pino';

/** Default of `--shutdown-grace`, in seconds: Docker's stop timeout, the shortest of the usual ones. */
export const DEFAULT_SHUTDOWN_GRACE_SECONDS = 10;

/**
 * When, after the stop signal, work still in flight is abandoned: the end of the grace (half of it, at
 * most one second) is kept for it to unwind (the query or page under way ends first), for giving back
 * what is held and for closing the database.
 */
export function cancelAfterMs(graceMs: number): number {
  return Math.max(0, graceMs - Math.min(1000, graceMs / 2));
}

/**
 * Resolves once SIGTERM or SIGINT has come and `stop` has run (rejects with its error). `stop` abandons what is in flight
 * `cancelAfterMs` after the signal; the process then leaves within the grace whatever happens: a stop
 * not finished by then (a database that does not answer) exits with code 1, what it held waiting for
 * its lease. A second signal is not caught: it ends the process at once.
 */
export function untilStopped(options: {
  logger: Logger;
  graceSeconds: number;
  stop(budget: { cancelAfterMs: number }): Promise<void>;
}): Promise<void> {
  const { logger } = options;
  const graceMs = options.graceSeconds * 1000;
  return new Promise<void>((resolve, reject) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      logger.info({ signal, graceSeconds: options.graceSeconds }, 'stopping');
      let stopped = false;
      // Referenced until the stop settles: a stop waiting on something that keeps nothing alive must
      // still end here, with code 1, not with Node's code 13 for a promise left unsettled. Once the
      // stop is done it no longer holds the process: a connection it abandoned is cut when it fires.
      const deadline = setTimeout(() => {
        if (!stopped) logger.error({ graceSeconds: options.graceSeconds }, 'stop overran its grace; exiting');
        process.exit(stopped ? undefined : 1);
      }, graceMs);
      options
        .stop({ cancelAfterMs: cancelAfterMs(graceMs) })
        .finally(() => {
          stopped = true;
          deadline.unref();
        })
        .then(() => {
          logger.info('stopped');
          resolve();
        }, reject);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
