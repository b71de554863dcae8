import { readFile } from 'node:fs/promises';
import path from 'node:path';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { AppError } from '../domain/app-error.js';
import { LoggingNotifier } from '../notification/logging.notifier.js';
import { importRegistryCsv, type RegistryImportPhase } from '../registry/registry-import.js';
import { enforceJsonAboveLimit } from '../subscriptions/json-above-limit.js';
import { openContext } from './context.js';

/** Files above this size (about 10 000 lines) show a progress bar when stderr is a terminal. */
const PROGRESS_MIN_BYTES = 1024 * 1024;

const PHASE_LABELS: Readonly<Record<RegistryImportPhase, string>> = {
  read: 'reading the store',
  write: 'writing',
};

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
      const bar =
        process.stderr.isTTY && Buffer.byteLength(text) >= PROGRESS_MIN_BYTES
          ? new cliProgress.SingleBar(
              {
                format: `${path.basename(file)} {phase} [{bar}] {percentage}% {value}/{total}`,
                stream: process.stderr,
              },
              cliProgress.Presets.shades_classic,
            )
          : undefined;
      try {
        bar?.start(1, 0, { phase: 'checking' });
        const r = await importRegistryCsv(database.db, text, {
          source: file,
          now: clock.now(),
          actor: { type: 'operator', id: null, label: 'import-registry' },
          onProgress: bar
            ? (done, total, phase) => {
                bar.setTotal(Math.max(1, total));
                bar.update(done, { phase: PHASE_LABELS[phase] });
              }
            : undefined,
        });
        bar?.stop();
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
        bar?.stop();
        await database.destroy();
      }
    });
}
