import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import { MeasurementRepository, type CurveDay } from '../db/measurement.repository.js';
import { PrmRepository, type PrmRecord } from '../db/prm.repository.js';
import { addDays, daysBetween } from '../domain/paris-calendar.js';
import { generatePrmDay } from '../meterdata/generator.js';
import { importMeasurementFile } from '../meterdata/import/measurement-import.js';
import { REGISTRY_COLUMNS } from '../registry/registry-csv.js';
import { importRegistryCsv } from '../registry/registry-import.js';
import type { BenchContext, BenchStage } from './bench-stage.js';
import { r63CsvHeader, r63CsvLines } from './r6x-sample-files.js';

const SIREN = '356000000';
const FIRST_DAY = '2025-10-01';
const DAYS = 30;
const NOW = new Date('2026-01-01T00:00:00Z');

function seconds(start: number): number {
  return (performance.now() - start) / 1000;
}

function curvesOf(context: BenchContext): CurveDay[] {
  return context.shared.get('curves') as CurveDay[];
}

const count = (curves: readonly CurveDay[]) => curves.reduce((sum, c) => sum + c.values.length, 0);

/** Synthetic active-power curves of category A meters (PT5M) over 30 days, enough for the points asked. */
export const generateStage: BenchStage = {
  name: 'generate-curves',
  async run(context) {
    const prmCount = Math.ceil(context.points / (288 * DAYS));
    const header = REGISTRY_COLUMNS.join(';');
    const lines = Array.from(
      { length: prmCount },
      (_, i) =>
        `Bench;${SIREN};${String(60_000_000_000_000 + i)};C4;${100 + (i % 5) * 50};CTR-${i};PT5M;Site ${i};2020-01-01;;;;`,
    );
    await importRegistryCsv(context.handle.db, [header, ...lines].join('\n'), {
      source: 'bench-registry.csv',
      now: NOW,
      actor: { type: 'system', id: null, label: 'bench' },
    });
    const prms = (await new PrmRepository(context.handle.db).listAttachedOn(SIREN, FIRST_DAY)) as PrmRecord[];
    const days = daysBetween(FIRST_DAY, addDays(FIRST_DAY, DAYS));
    const start = performance.now();
    const curves: CurveDay[] = [];
    for (const prm of prms)
      for (const day of days)
        curves.push(generatePrmDay(prm, day, 1, true).curves.find((c) => c.quantity === 'PA')!);
    const elapsed = seconds(start);
    context.shared.set('curves', curves);
    return { points: count(curves), seconds: elapsed };
  },
};

/** Writes the curves as PRM-day vectors (batched upserts, one transaction per 2 000 days). */
export const storeWriteStage: BenchStage = {
  name: 'store-write',
  async run(context) {
    const curves = curvesOf(context);
    const start = performance.now();
    for (let i = 0; i < curves.length; i += 2000) {
      await context.handle.db
        .transaction()
        .execute((trx) => new MeasurementRepository(trx).upsertCurveDays(curves.slice(i, i + 2000), NOW));
    }
    return { points: count(curves), seconds: seconds(start) };
  },
};

/** Streams every stored version of the window back (the stream the publication's read is built on). */
export const storeReadStage: BenchStage = {
  name: 'store-read',
  async run(context) {
    const repo = new MeasurementRepository(context.handle.db);
    const start = performance.now();
    let points = 0;
    let checksum = 0;
    for await (const day of repo.streamCurveVersions(
      { siren: SIREN, category: 'A' },
      { from: new Date('2025-01-01T00:00:00Z'), to: new Date('2027-01-01T00:00:00Z') },
      { stage: 'BRUT', quantities: ['PA'] },
      512,
    )) {
      points += day.values.length;
      checksum += day.values[0]!;
    }
    if (checksum < 0) throw new Error('unreachable');
    return {
      points,
      seconds: seconds(start),
      reference: { kind: 'target', name: 'read target', points_per_s: 5_000_000 },
    };
  },
};

async function writeCsv(context: BenchContext): Promise<string> {
  const existing = context.shared.get('csv') as string | undefined;
  if (existing) return existing;
  const file = path.join(context.workDir, `bench-r63-${context.engine}.csv`);
  const out = createWriteStream(file);
  out.write(`${r63CsvHeader()}\n`);
  let buffer: string[] = [];
  for (const line of r63CsvLines(curvesOf(context), 'A')) {
    buffer.push(line);
    if (buffer.length === 10_000) {
      if (!out.write(`${buffer.join('\n')}\n`)) await once(out, 'drain');
      buffer = [];
    }
  }
  out.end(buffer.length ? `${buffer.join('\n')}\n` : '');
  await once(out, 'finish');
  context.shared.set('csv', file);
  return file;
}

/** Reads and validates an R63 CSV file without writing (parsing throughput alone). */
export const parseCsvStage: BenchStage = {
  name: 'import-r63-csv-parse',
  async run(context) {
    const file = await writeCsv(context);
    const start = performance.now();
    const r = await importMeasurementFile(context.handle.db, file, {
      fileName: 'bench.csv',
      now: NOW,
      dryRun: true,
    });
    return {
      points: r.curvePoints,
      seconds: seconds(start),
      reference: { kind: 'target', name: 'import target', points_per_s: 1_000_000 },
    };
  },
};

/** Imports an R63 CSV file into an empty store, end to end (parse, validate, write, corrected curve). */
export const importCsvStage: BenchStage = {
  name: 'import-r63-csv',
  async run(context) {
    const file = await writeCsv(context);
    await context.handle.db.deleteFrom('curve_day').execute();
    const start = performance.now();
    const r = await importMeasurementFile(context.handle.db, file, { fileName: 'bench.csv', now: NOW });
    return {
      points: r.curvePoints,
      seconds: seconds(start),
      reference: { kind: 'target', name: 'import target', points_per_s: 1_000_000 },
    };
  },
};
