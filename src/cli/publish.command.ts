import type { Command } from 'commander';
import { AppError } from '../domain/app-error.js';
import { parseWindowStart } from '../domain/publication-windows.js';
import { openEngineContext } from './engine-context.js';

export function registerPublishCommand(program: Command): void {
  program
    .command('publish')
    .description('publish ended windows now (--due), or build one window again (--subscription and --window)')
    .option('--due', 'create the runs of every ended window and publish them')
    .option('--subscription <id>', 'subscription id of the window to build again')
    .option('--window <start>', 'start of that window: a Paris date YYYY-MM-DD or an ISO instant')
    .action(async (options: { due?: boolean; subscription?: string; window?: string }) => {
      const rebuild = options.subscription !== undefined || options.window !== undefined;
      if (options.due === rebuild) {
        throw new AppError(
          'INVALID_INPUT',
          'give either --due, or --subscription <id> with --window <start>',
        );
      }
      const context = await openEngineContext();
      try {
        if (options.due) {
          const scheduled = await context.engine.schedule();
          const outcomes = await context.engine.runPending();
          const done = outcomes.filter((o) => o.status === 'done').length;
          const failed = outcomes.filter((o) => o.status !== 'done');
          process.stdout.write(
            `${scheduled.created} run(s) created, ${scheduled.empty} window(s) without new data, ${done} file(s) published\n`,
          );
          for (const o of failed)
            process.stdout.write(`run ${o.runId}: ${o.status}${o.error ? ` (${o.error})` : ''}\n`);
          if (failed.length > 0) throw new AppError('INTERNAL', `${failed.length} run(s) did not complete`);
          return;
        }
        const id = Number(options.subscription);
        if (!Number.isInteger(id) || id <= 0) {
          throw new AppError(
            'INVALID_INPUT',
            `--subscription "${options.subscription}" is not a subscription id`,
          );
        }
        const start = options.window === undefined ? undefined : parseWindowStart(options.window);
        if (!start)
          throw new AppError(
            'INVALID_INPUT',
            `--window "${options.window ?? ''}" is not a date YYYY-MM-DD or an ISO instant`,
          );
        const outcome = await context.engine.rebuild(id, start, 'cli:publish');
        if (outcome.status !== 'done') {
          throw new AppError(
            'INTERNAL',
            `run ${outcome.runId} did not complete: ${outcome.error ?? outcome.status}`,
          );
        }
        process.stdout.write(`run ${outcome.runId}: publication ${outcome.publicationId} archived\n`);
      } finally {
        await context.close();
      }
    });
}
