import type { Command } from 'commander';
import { startBackgroundJobs } from '../jobs/background-jobs.js';
import { openEngineContext } from './engine-context.js';
import { parseSecondsOption } from './options.js';

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('run publication and delivery work continuously beside `serve` (several may run at once)')
    .option('--interval <seconds>', 'pause between two passes', parseSecondsOption, 30)
    .action(async (options: { interval: number }) => {
      const context = await openEngineContext({ quiet: false });
      const jobs = startBackgroundJobs({
        engine: context.engine,
        dispatcher: context.delivery.dispatcher(context.engine.files),
        clock: context.clock,
        logger: context.logger,
        intervalMs: options.interval * 1000,
      });
      context.logger.info('worker started');
      await new Promise<void>((resolve) => {
        const stop = (signal: string) => {
          context.logger.info({ signal }, 'worker stopping after the current pass');
          void jobs
            .stop()
            .then(() => context.close())
            .finally(resolve);
        };
        process.once('SIGTERM', () => stop('SIGTERM'));
        process.once('SIGINT', () => stop('SIGINT'));
      });
    });
}
