import type { BenchStage } from './bench-stage.js';
import {
  generateStage,
  importCsvStage,
  parseCsvStage,
  storeReadStage,
  storeWriteStage,
} from './measurement-stages.js';
import { publishDailyStage, publishMonthlyStage } from './publication-stages.js';
import { importRegistryStage } from './registry-stage.js';

/** Stages of `publiwatt bench`, in run order. Append new stages here. */
export const BENCH_STAGES: BenchStage[] = [
  generateStage,
  storeWriteStage,
  storeReadStage,
  parseCsvStage,
  importCsvStage,
  publishDailyStage,
  publishMonthlyStage,
  importRegistryStage,
];
