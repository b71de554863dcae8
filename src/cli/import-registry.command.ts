import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { AppError } from '../domain/app-error.js';
import { LoggingNotifier } from '../notification/logging.notifier.js';
import { importRegistryCsv } from '../registry/registry-import.js';
import { enforceJsonAboveLimit } from '../subscriptions/json-above-limit.js';
import { openContext } from './context.js';

export function registerImportRegistryCommand(program: Command): void {
  program
    .command('import-registry')
    .description('import entreprises, SIRENs, PRMs and attachments from a CSV file (all or nothing)')
    .argument('<file>', 'registry CSV (layout in docs/registry-import.md)')
    .action(async (file: string) => {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (error) {
        throw new AppError(
          'INVALID_INPUT',
          `${file}: cannot read (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
        );
      }
      const { database, clock, logger } = await openContext({ quiet: true });
      try {
        const r = await importRegistryCsv(database.db, text, {
          source: file,
          now: clock.now(),
          actor: { type: 'operator', id: null, label: 'import-registry' },
        });
        process.stdout.write(
          `${file}: ${r.entreprisesCreated} entreprise(s), ${r.sirensCreated} SIREN(s), ` +
            `${r.prmsCreated} PRM(s) created, ${r.prmsUpdated} updated, ` +
            `${r.attachmentsCreated + r.attachmentsUpdated} attachment(s) created or changed, ` +
            `${r.collectionPeriodsCreated} curve collection(s) enabled, ${r.linesUnchanged} line(s) unchanged\n`,
        );
        // A SIREN that grew past 100 PRMs may no longer publish CSV.
        const switched = await enforceJsonAboveLimit(database.db, {
          now: clock.now(),
          notifier: new LoggingNotifier(logger),
        });
        for (const { subscription, prmCount } of switched) {
          process.stdout.write(
            `subscription ${subscription.idDemande} (SIREN ${subscription.siren}, ${subscription.dataType} ${subscription.frequency}) switched to JSON: ${prmCount} PRMs\n`,
          );
        }
      } finally {
        await database.destroy();
      }
    });
}
