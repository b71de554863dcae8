import type { Command } from 'commander';
import { openContext } from './context.js';

export function registerMigrateCommand(program: Command): void {
  program
    .command('migrate')
    .description('apply pending database migrations (serve also applies them at start)')
    .action(async () => {
      const { database, config, applied } = await openContext({ quiet: true });
      await database.destroy();
      const list = applied.length > 0 ? `applied ${applied.join(', ')}` : 'nothing to apply';
      process.stdout.write(`database ${config.database.engine}: ${list}\n`);
    });
}
