import type { Command } from 'commander';
import { openEngineContext } from './engine-context.js';

export function registerPurgeCommand(program: Command): void {
  program
    .command('purge')
    .description('delete archived files and their rows older than four years (serve does it daily)')
    .action(async () => {
      const context = await openEngineContext();
      try {
        const result = await context.engine.purge();
        process.stdout.write(
          `${result.publications} publication(s) purged, ${result.abandonedParts} abandoned temporary file(s) removed\n`,
        );
      } finally {
        await context.close();
      }
    });
}
