import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Engine } from '../db/database.js';
import { scratchDatabase } from '../db/scratch-database.js';
import { migrateToLatest } from '../db/migrate.js';
import type { BenchResult, BenchStage } from './bench-stage.js';

export interface BenchOptions {
  engines: readonly Engine[];
  points: number;
  /** PostgreSQL server on which a scratch database is created and dropped. */
  postgresUrl: string;
  stages: readonly BenchStage[];
  onResult: (result: BenchResult) => void;
}

/** Samples the resident set size while a stage runs (its peak, not the process lifetime's). */
function rssSampler(): { stop(): number } {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 10);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, process.memoryUsage.rss());
    },
  };
}

/** Runs every stage on each engine, each engine on its own scratch database, reporting as it goes. */
export async function runBench(options: BenchOptions): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  for (const engine of options.engines) {
    const workDir = await mkdtemp(path.join(tmpdir(), 'publiwatt-bench-'));
    const database = await scratchDatabase(engine, workDir, options.postgresUrl);
    try {
      await migrateToLatest(database.handle);
      const shared = new Map<string, unknown>();
      for (const stage of options.stages) {
        if (stage.engines && !stage.engines.includes(engine)) continue;
        const sampler = rssSampler();
        const outcome = await stage.run({
          engine,
          handle: database.handle,
          points: options.points,
          workDir,
          shared,
        });
        const peak = sampler.stop();
        const result: BenchResult = {
          name: stage.name,
          engine,
          points: outcome.points,
          seconds: Number(outcome.seconds.toFixed(3)),
          points_per_s: Math.round(outcome.points / Math.max(outcome.seconds, 1e-9)),
          peak_rss_mb: Math.round(peak / 1048576),
          ...(outcome.reference ? { reference: outcome.reference } : {}),
        };
        results.push(result);
        options.onResult(result);
      }
    } finally {
      await database.drop();
      await rm(workDir, { recursive: true, force: true });
    }
  }
  return results;
}
