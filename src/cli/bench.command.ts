import { InvalidArgumentError, type Command } from 'commander';
import { BENCH_STAGES } from '../bench/bench-stages.js';
import type { BenchResult } from '../bench/bench-stage.js';
import { runBench } from '../bench/run-bench.js';
import { engineNamed, type Engine } from '../db/database.js';

function parsePoints(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1)
    throw new InvalidArgumentError(`"${value}" is not a positive integer`);
  return Number(value);
}

function parseEngines(value: string): Engine[] {
  if (value === 'both') return ['sqlite', 'postgres'];
  const engine = engineNamed(value);
  if (engine) return [engine];
  throw new InvalidArgumentError(`"${value}" is not sqlite, postgres or both`);
}

function humanLine(r: BenchResult): string {
  const reference = r.reference
    ? `  (${r.reference.name} ${r.reference.points_per_s.toLocaleString('en')}/s)`
    : '';
  return `${r.engine.padEnd(8)} ${r.name.padEnd(22)} ${String(r.points).padStart(9)} points ${r.seconds.toFixed(2).padStart(7)} s ${r.points_per_s.toLocaleString('en').padStart(11)} points/s  peak RSS ${r.peak_rss_mb} MB${reference}`;
}

export function registerBenchCommand(program: Command): void {
  program
    .command('bench')
    .description(
      'measure generation, store write/read and R63 CSV import throughput on SQLite and PostgreSQL',
    )
    .option('--json', 'print one JSON object per stage and engine')
    .option('--points <n>', 'points per stage (at least)', parsePoints, 1_000_000)
    .option('--engine <engine>', 'sqlite, postgres or both', parseEngines, ['sqlite', 'postgres'] as Engine[])
    .action(async (options: { json?: boolean; points: number; engine: Engine[] }) => {
      const configured = process.env.PUBLIWATT_DATABASE_URL;
      const postgresUrl =
        process.env.PUBLIWATT_BENCH_POSTGRES_URL ??
        (configured?.startsWith('postgres') ? configured : 'postgres://postgres@127.0.0.1:5432/postgres');
      await runBench({
        engines: options.engine,
        points: options.points,
        postgresUrl,
        stages: BENCH_STAGES,
        onResult: (r) => process.stdout.write(`${options.json ? JSON.stringify(r) : humanLine(r)}\n`),
      });
    });
}
