import { InvalidArgumentError, type Command } from 'commander';
import { PrmRepository, type PrmRecord } from '../db/prm.repository.js';
import { AppError } from '../domain/app-error.js';
import { parseSiren } from '../domain/identifiers.js';
import { parseLocalDate } from '../domain/local-date.js';
import { daysBetween } from '../domain/paris-calendar.js';
import { generateMeasurements } from '../meterdata/generate-measurements.js';
import { openContext } from './context.js';

function parseSeed(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`"${value}" is not a non-negative integer`);
  return Number(value);
}

export function registerGenerateCommand(program: Command): void {
  program
    .command('generate')
    .description(
      'generate synthetic curves and index readings for the PRMs of a SIREN (deterministic per seed)',
    )
    .requiredOption('--siren <siren>', 'SIREN whose PRMs (attached on any day of the range) get data')
    .requiredOption('--from <date>', 'first local day (YYYY-MM-DD)')
    .requiredOption('--to <date>', 'day after the last local day (YYYY-MM-DD, exclusive)')
    .option('--seed <n>', 'random seed', parseSeed, 1)
    .action(async (options: { siren: string; from: string; to: string; seed: number }) => {
      const siren = parseSiren(options.siren);
      const from = parseLocalDate(options.from, '--from');
      const to = parseLocalDate(options.to, '--to');
      if (to <= from) throw new AppError('INVALID_INPUT', `--to ${to} must be after --from ${from}`);
      const { database, clock } = await openContext({ quiet: true });
      try {
        const repo = new PrmRepository(database.db);
        const prms = new Map<string, PrmRecord>();
        for (const day of daysBetween(from, to))
          for (const prm of await repo.listAttachedOn(siren, day)) prms.set(prm.prm, prm);
        if (prms.size === 0)
          throw new AppError('NOT_FOUND', `SIREN ${siren} has no PRM attached between ${from} and ${to}`);
        const r = await generateMeasurements(database.db, [...prms.values()], {
          from,
          to,
          seed: options.seed,
          now: clock.now(),
        });
        process.stdout.write(
          `${siren}: ${r.prms} PRM(s), ${r.curveDaysChanged} curve day(s) and ${r.indexReadingsChanged} index reading(s) ` +
            `created or changed (${r.curvePoints} points), ${r.bestDaysChanged} corrected day(s)\n`,
        );
      } finally {
        await database.destroy();
      }
    });
}
