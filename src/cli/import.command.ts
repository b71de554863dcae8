import { stat } from 'node:fs/promises';
import path from 'node:path';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { parseKeyHex } from '../crypto/customer-cipher.js';
import { importMeasurementFile } from '../meterdata/import/measurement-import.js';
import { openContext } from './context.js';

/** Files above this size show a progress bar when stderr is a terminal. */
const PROGRESS_MIN_BYTES = 5 * 1024 * 1024;

export function registerImportCommand(program: Command): void {
  program
    .command('import')
    .description(
      'import R63 (curves) and R64 (index) files: CSV or JSON, plain, zipped, or encrypted (each file all or nothing)',
    )
    .argument('<files...>', 'files to import, in order')
    .option('--key <hex>', 'customer key (64 hex characters) of encrypted files')
    .option(
      '--bulk-feed',
      "the files are the distributor's bulk feed (a metering system's daily output spanning many SIRENs): " +
        'the recipient a JSON header names is not checked against the owners of its PRMs',
    )
    .addHelpText(
      'after',
      '\nA zip must hold exactly one file; it is checked as it is inflated (sizes, CRC-32, limits\n' +
        'PUBLIWATT_IMPORT_MAX_UNCOMPRESSED_BYTES and PUBLIWATT_IMPORT_MAX_ZIP_RATIO).',
    )
    .action(async (files: string[], options: { key?: string; bulkFeed?: boolean }) => {
      const key = options.key ? parseKeyHex(options.key) : undefined;
      const { config, database, clock } = await openContext({ quiet: true });
      try {
        for (const file of files) {
          const size = await stat(file).then(
            (s) => s.size,
            () => 0,
          );
          const bar =
            process.stderr.isTTY && size >= PROGRESS_MIN_BYTES
              ? new cliProgress.SingleBar(
                  {
                    format: `${path.basename(file)} [{bar}] {percentage}% {value}/{total} MB`,
                    stream: process.stderr,
                  },
                  cliProgress.Presets.shades_classic,
                )
              : undefined;
          bar?.start(1, 0);
          const started = performance.now();
          try {
            const r = await importMeasurementFile(database.db, file, {
              fileName: file,
              key,
              now: clock.now(),
              bulkFeed: options.bulkFeed ?? false,
              limits: config.importLimits,
              onProgress: bar
                ? (done, total) => {
                    bar.setTotal(Math.max(1, Math.round(total / 1e6)));
                    bar.update(Math.round(done / 1e6));
                  }
                : undefined,
            });
            bar?.stop();
            const seconds = (performance.now() - started) / 1000;
            const parts = r.parts.map((p) => `${p.flux} ${p.format}`).join(', ');
            process.stdout.write(
              `${file} (${parts}): ${r.curvePoints} curve point(s), ${r.indexReadings} index reading(s) read; ` +
                `${r.curveDaysChanged} curve day(s), ${r.indexReadingsChanged} reading(s), ${r.bestDaysChanged} corrected day(s) ` +
                `created or changed in ${seconds.toFixed(1)} s\n`,
            );
            for (const warning of r.warnings) process.stdout.write(`  warning: ${warning}\n`);
          } catch (error) {
            bar?.stop();
            throw error;
          }
        }
      } finally {
        await database.destroy();
      }
    });
}
