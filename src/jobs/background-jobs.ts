import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Dispatcher } from '../delivery/dispatcher.js';
import type { PublicationEngine } from '../publication/publication-engine.js';
import { StopController } from '../stop-signal.js';

export interface BackgroundJobsOptions {
  engine: PublicationEngine;
  dispatcher: Dispatcher;
  clock: Clock;
  logger: Logger;
  /** Pause between two passes. Default 30 s. */
  intervalMs?: number;
  /** Whether this process also schedules runs and purges (every process may: both are idempotent). */
  schedule?: boolean;
  /** Runs created per pass before publishing them. Default 200. */
  windowsPerPass?: number;
}

const DAY_MS = 24 * 3_600_000;
/**
 * A pass creates about this many runs, then publishes and delivers before creating more: after a
 * downtime, the first files go out within seconds instead of after the whole backlog is scheduled.
 */
const WINDOWS_PER_PASS_DEFAULT = 200;
/** Runs published in a pass before deliveries are looked at again. */
const RUNS_PER_PASS = 50;

/**
 * The work `serve` and `worker` do continuously: create the runs of ended windows, publish them,
 * deliver what is due, and once a day purge what is older than four years. Passes follow each other
 * at once while work remains (a backlog), else `intervalMs` apart. Each pass is idempotent
 * and safe beside other processes doing the same (unique run keys, leases). Returns `stop()`: nothing
 * more is claimed and claimed deliveries not started are given back at once; what is in flight may
 * finish until `cancelAfterMs`, then it is abandoned and given back. Resolves once nothing is held.
 */
export function startBackgroundJobs(options: BackgroundJobsOptions): {
  stop(options?: { cancelAfterMs?: number }): Promise<void>;
} {
  const { engine, dispatcher, clock, logger } = options;
  const interval = options.intervalMs ?? 30_000;
  const windowsPerPass = options.windowsPerPass ?? WINDOWS_PER_PASS_DEFAULT;
  const stopping = new StopController();
  let lastPurge = 0;
  let busy = false;
  const loop = async () => {
    while (!stopping.draining.aborted) {
      try {
        busy = false;
        if (options.schedule !== false) {
          const scheduled = await engine.schedule({ maxWindows: windowsPerPass, stop: stopping.draining });
          if (scheduled.created + scheduled.empty > 0) logger.info(scheduled, 'publication runs created');
          busy = scheduled.more;
        }
        const outcomes = await engine.runPending({ limit: RUNS_PER_PASS, stop: stopping });
        if (outcomes.length > 0) logger.info({ runs: outcomes.length }, 'publication runs processed');
        if (outcomes.length >= RUNS_PER_PASS) busy = true;
        const delivered = await dispatcher.runDue(stopping);
        if (delivered.delivered + delivered.retried + delivered.failed + (delivered.released ?? 0) > 0)
          logger.info(delivered, 'deliveries processed');
        if (
          options.schedule !== false &&
          !stopping.draining.aborted &&
          clock.now().getTime() - lastPurge >= DAY_MS
        ) {
          lastPurge = clock.now().getTime();
          await engine.purge({ stop: stopping.draining });
        }
      } catch (error) {
        busy = false;
        logger.error({ err: error }, 'background pass failed; retrying at the next pass');
      }
      // A backlog is worked through pass after pass without pausing.
      if (busy) continue;
      try {
        await sleep(interval, undefined, { signal: stopping.draining });
      } catch {
        // aborted: leave the loop
      }
    }
  };
  const running = loop();
  return {
    async stop(stopOptions = {}) {
      stopping.drain();
      const cancel =
        stopOptions.cancelAfterMs === undefined
          ? undefined
          : setTimeout(() => stopping.cancel(), stopOptions.cancelAfterMs);
      try {
        await running;
      } finally {
        clearTimeout(cancel);
      }
    },
  };
}
