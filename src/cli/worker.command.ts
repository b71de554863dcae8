import type { Command } from 'commander';
import { databaseUrlOf } from '../config.js';
import { allowsSeveralWorkers } from '../db/database.js';
import { AppError } from '../domain/app-error.js';
import { startBackgroundJobs } from '../jobs/background-jobs.js';
import { removeAbandonedTemporaryFiles } from '../jobs/start-cleanup.js';
import { openEngineContext } from './engine-context.js';
import { DEFAULT_SHUTDOWN_GRACE_SECONDS, untilStopped } from './graceful-stop.js';
import { parseSecondsOption } from './options.js';

/**
 * Workers share runs and deliveries with `serve` and with each other through row leases, which needs a
 * database with concurrent writers. SQLite has one writer: there the work runs inside `serve`, and a
 * worker would only queue behind it for the write lock.
 */
function refuseSqlite(env: NodeJS.ProcessEnv): void {
  if (!allowsSeveralWorkers(databaseUrlOf(env))) {
    throw new AppError(
      'INVALID_CONFIGURATION',
      'worker needs PostgreSQL (PUBLIWATT_DATABASE_URL=postgres://…); on SQLite, publication and delivery run inside `serve`',
      { variable: 'PUBLIWATT_DATABASE_URL', reason: 'worker needs PostgreSQL' },
    );
  }
}

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('run publication and delivery work continuously beside `serve` (several may run at once)')
    .option('--interval <seconds>', 'pause between two passes', parseSecondsOption, 30)
    .option(
      '--shutdown-grace <seconds>',
      'on SIGTERM/SIGINT, how long work in flight may finish before it is given back and the worker exits',
      parseSecondsOption,
      DEFAULT_SHUTDOWN_GRACE_SECONDS,
    )
    .action(async (options: { interval: number; shutdownGrace: number }) => {
      refuseSqlite(process.env);
      const context = await openEngineContext({ quiet: false });
      await removeAbandonedTemporaryFiles({
        dataDir: context.config.dataDir,
        now: context.clock.now(),
        logger: context.logger,
      });
      const jobs = startBackgroundJobs({
        engine: context.engine,
        dispatcher: context.delivery.dispatcher(context.engine.files),
        clock: context.clock,
        logger: context.logger,
        intervalMs: options.interval * 1000,
      });
      context.logger.info('worker started');
      await untilStopped({
        logger: context.logger,
        graceSeconds: options.shutdownGrace,
        async stop(budget) {
          try {
            await jobs.stop(budget);
          } finally {
            await context.close();
          }
        },
      });
    });
}
