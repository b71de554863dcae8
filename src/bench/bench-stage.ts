import type { DatabaseHandle, Engine } from '../db/database.js';

/** What every bench stage receives: a fresh database of one engine and a scratch folder. */
export interface BenchContext {
  engine: Engine;
  handle: DatabaseHandle;
  /** Points the run was asked for (at least this many are processed by each stage). */
  points: number;
  workDir: string;
  /** Values a stage leaves for later ones (generated data, file paths …), by name. */
  shared: Map<string, unknown>;
}

export interface StageOutcome {
  /** Points processed by the timed part. */
  points: number;
  /** Duration of the timed part only (set-up excluded). */
  seconds: number;
  /** A comparison point: a target or another way of doing the same work. */
  reference?: { kind: 'target' | 'alternative'; name: string; points_per_s: number } | undefined;
}

/**
 * One measured step of `publiwatt bench`. Stages run in list order on each engine; add a stage by
 * appending it to the list in `bench-stages.ts` (the publication engine adds its own there).
 */
export interface BenchStage {
  name: string;
  /** Engines it runs on (default: every engine of the run). */
  engines?: readonly Engine[];
  run(context: BenchContext): Promise<StageOutcome>;
}

/** One line of `bench --json`. */
export interface BenchResult {
  name: string;
  engine: Engine;
  points: number;
  seconds: number;
  points_per_s: number;
  peak_rss_mb: number;
  reference?: StageOutcome['reference'];
}
