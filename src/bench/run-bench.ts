import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { openDatabase, type DatabaseHandle, type Engine } from '../db/database.js';
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

async function scratchDatabase(engine: Engine, workDir: string, postgresUrl: string) {
  if (engine === 'sqlite') {
    const handle = openDatabase({ engine: 'sqlite', file: path.join(workDir, 'bench.db') });
    return { handle, drop: () => handle.destroy() };
  }
  const name = `publiwatt_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: postgresUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(postgresUrl);
  url.pathname = `/${name}`;
  const handle: DatabaseHandle = openDatabase({ engine: 'postgres', url: url.toString() });
  return {
    handle,
    drop: async () => {
      await handle.destroy();
      const client = new pg.Client({ connectionString: postgresUrl });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
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
