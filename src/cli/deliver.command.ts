import type { Command } from 'commander';
import { openEngineContext } from './engine-context.js';

export function registerDeliverCommand(program: Command): void {
  program
    .command('deliver')
    .description('send every delivery that is due now (e-mail, SFTP, FTPS, FTP), once')
    .action(async () => {
      const context = await openEngineContext();
      try {
        const summary = await context.delivery.dispatcher(context.engine.files).runDue();
        process.stdout.write(
          `${summary.delivered} delivered, ${summary.retried} to retry, ${summary.failed} failed for good\n`,
        );
      } finally {
        await context.close();
      }
    });
}
