import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import { pino } from 'pino';
import yauzl from 'yauzl';
import { MasterCipher } from '../crypto/master-cipher.js';
import { MeasurementRepository, type CurveDay } from '../db/measurement.repository.js';
import { PublicationRepository } from '../db/publication.repository.js';
import { SubscriptionRepository } from '../db/subscription.repository.js';
import { refreshStatistics, type Db } from '../db/database.js';
import { daysBetween, addDays, pointsPerDay } from '../domain/paris-calendar.js';
import { packQuality } from '../domain/point-quality.js';
import { createPublicationEngine } from '../publication/publication-engine.js';
import type { RunOutcome } from '../publication/runner.js';
import { writeZip } from '../publication/packaging/zip.writer.js';
import type { BenchContext, BenchStage } from './bench-stage.js';

const ENTREPRISE = 'Bench Publication';
const MASTER_KEY = randomBytes(32);

/** Builds of each window (and runs of the reference) whose median is reported. */
const BUILDS = 5;

function median(values: number[]): number {
  return [...values].sort((a, b) => a - b)[values.length >> 1]!;
}

function seconds(start: number): number {
  return (performance.now() - start) / 1000;
}

/** Registers `count` PRMs of one category on a new SIREN with direct batched inserts (set-up, not timed). */
async function seedPrms(
  db: Db,
  siren: string,
  count: number,
  category: 'A' | 'B',
  prefix: string,
): Promise<string[]> {
  const now = new Date('2025-01-01T00:00:00Z').toISOString();
  let entreprise = await db
    .selectFrom('entreprise')
    .select('id')
    .where('name', '=', ENTREPRISE)
    .executeTakeFirst();
  if (!entreprise) {
    entreprise = await db
      .insertInto('entreprise')
      .values({ name: ENTREPRISE, created_at: now })
      .returning('id')
      .executeTakeFirstOrThrow();
  }
  await db.insertInto('siren').values({ siren, entreprise_id: entreprise.id, created_at: now }).execute();
  const prms = Array.from(
    { length: count },
    (_, i) => `${prefix}${String(i).padStart(14 - prefix.length, '0')}`,
  );
  for (let i = 0; i < prms.length; i += 500) {
    const chunk = prms.slice(i, i + 500);
    await db
      .insertInto('prm')
      .values(
        chunk.map((prm) => ({
          prm,
          segment: category === 'A' ? 'C4' : 'C5',
          category,
          kva: category === 'A' ? 250 : 9,
          step: category === 'A' ? 'PT5M' : 'PT30M',
          contract_number: `CTR-${prm.slice(-8)}`,
          label: `Site ${prm.slice(-5)}`,
          distributor_calendar: category === 'A' ? 'DI000003' : 'DI000002',
          supplier_calendar: null,
          created_at: now,
          updated_at: now,
        })),
      )
      .execute();
    await db
      .insertInto('prm_attachment')
      .values(chunk.map((prm) => ({ prm, siren, start_date: '2020-01-01', end_date: null })))
      .execute();
    if (category === 'B') {
      await db
        .insertInto('prm_curve_collection')
        .values(chunk.map((prm) => ({ prm, start_date: '2020-01-01', end_date: null })))
        .execute();
    }
  }
  return prms;
}

function curveDay(
  prm: string,
  day: string,
  category: 'A' | 'B',
  stepMinutes: number,
  seed: number,
): CurveDay {
  const n = pointsPerDay(day, stepMinutes);
  const values = new Int32Array(n);
  const qualities = new Uint16Array(n);
  const quality = category === 'A' ? packQuality({ n: 'R' }) : packQuality({ n: 'B', iv: 0, ec: 0 });
  for (let i = 0; i < n; i++) {
    values[i] = 500 + ((seed * 7919 + i * 104729) % 4000);
    qualities[i] = quality;
  }
  return { prm, day, quantity: 'PA', stage: 'BRUT', stepMinutes, values, qualities };
}

async function innerFile(zip: Buffer): Promise<{ name: string; content: Buffer }> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(zip, { lazyEntries: true }, (error, file) => {
      if (error || !file) return reject(error ?? new Error('not a zip'));
      file.once('entry', (entry: yauzl.Entry) => {
        file.openReadStream(entry, (streamError, stream) => {
          if (streamError || !stream) return reject(streamError ?? new Error('no entry stream'));
          buffer(stream as Readable).then((content) => resolve({ name: entry.fileName, content }), reject);
        });
      });
      file.readEntry();
    });
  });
}

/**
 * Publishes one window end to end — read the store → R63 file → zip → seal → archive — and compares
 * with zip + seal alone on the same file bytes (the floor of any publication). Each is timed five
 * times, in turns (the window's first publication, then four rebuilds of it), and the medians
 * reported: one run of this 2-core machine varies by ±20 %.
 */
async function publishWindow(
  context: BenchContext,
  options: {
    siren: string;
    category: 'A' | 'B';
    frequency: 'Q' | 'M';
    format: 'CSV' | 'JSON';
    prms: string[];
    days: string[];
    stepMinutes: number;
  },
) {
  const db = context.handle.db;
  const store = new MeasurementRepository(db);
  const collectedAt = new Date(`${options.days[options.days.length - 1]}T12:00:00Z`);
  let batch: CurveDay[] = [];
  let points = 0;
  for (const [p, prm] of options.prms.entries()) {
    for (const day of options.days) {
      const curve = curveDay(prm, day, options.category, options.stepMinutes, p);
      points += curve.values.length;
      batch.push(curve);
      if (batch.length >= 1000) {
        await store.upsertCurveDays(batch, collectedAt);
        batch = [];
      }
    }
  }
  if (batch.length > 0) await store.upsertCurveDays(batch, collectedAt);
  // Statistics, as a production database has them (autovacuum analyzes a table within a minute of a
  // load): planned without them, PostgreSQL joins the window's rows one by one.
  await refreshStatistics(db);
  const entreprise = (
    await db.selectFrom('entreprise').select('id').where('name', '=', ENTREPRISE).executeTakeFirstOrThrow()
  ).id;
  const effectiveAt = new Date(`${options.days[0]}T00:00:00Z`);
  const subscriptionId = await new SubscriptionRepository(db).insert({
    entrepriseId: entreprise,
    siren: options.siren,
    category: options.category,
    dataType: 'CDC_BRUTE',
    frequency: options.frequency,
    format: options.format,
    idDemande: `BENCH${options.frequency}${options.category}`,
    requestedAt: new Date(effectiveAt.getTime() - 72 * 3_600_000),
    effectiveAt,
    requestedBy: 'bench',
  });
  const after = new Date(`${addDays(options.days[options.days.length - 1]!, 2)}T00:00:00Z`);
  const engine = createPublicationEngine({
    config: { dataDir: path.join(context.workDir, `archive-${options.frequency}`), masterKey: MASTER_KEY },
    database: context.handle,
    clock: { now: () => after },
    logger: pino({ level: 'silent' }),
    notifier: { notify: () => Promise.resolve() },
  });

  // Builds of the window: the first publication, then rebuilds (same content, as a worker that has
  // been running for a while does it), each followed by a run of the reference on the first file's
  // bytes, so that both see the machine in the same state; the medians are reported.
  const publications = new PublicationRepository(db);
  const timings: number[] = [];
  const references: number[] = [];
  let inner: { name: string; content: Buffer } | undefined;
  let windowStart: Date | undefined;
  for (let build = 0; build < BUILDS; build++) {
    const start = performance.now();
    let outcomes: RunOutcome[];
    if (build === 0) {
      await engine.schedule();
      outcomes = await engine.runPending();
    } else {
      outcomes = [await engine.rebuild(subscriptionId, windowStart!, 'bench')];
    }
    timings.push(seconds(start));
    const done = outcomes.filter((o) => o.status === 'done');
    if (done.length !== 1) throw new Error(`expected one publication, got ${JSON.stringify(outcomes)}`);
    const publication = (await publications.find(done[0]!.publicationId!))!;
    if (publication.subscriptionId !== subscriptionId || publication.pointCount !== points) {
      throw new Error(`published ${publication.pointCount} points, expected ${points}`);
    }
    windowStart ??= publication.windowStart;
    inner ??= await innerFile(await buffer(await engine.archive.open(publication.storageKey)));

    const referenceStart = performance.now();
    await pipeline(
      writeZip(inner.name, Readable.from([inner.content]), after),
      new MasterCipher(MASTER_KEY).encryptStream(),
      new Writable({ write: (_chunk, _encoding, callback) => callback() }),
    );
    references.push(seconds(referenceStart));
  }
  const elapsed = median(timings);
  const reference = median(references);
  return {
    points,
    seconds: elapsed,
    reference: {
      kind: 'alternative' as const,
      name: 'zip+seal alone',
      points_per_s: Math.round(points / reference),
    },
  };
}

/** A daily R63B JSON file of up to 10 000 Linky meters (PT30M). */
export const publishDailyStage: BenchStage = {
  name: 'publish-daily-b',
  async run(context) {
    const count = Math.ceil(Math.min(context.points, 480_000) / 48);
    const prms = await seedPrms(context.handle.db, '732829320', count, 'B', '71');
    return publishWindow(context, {
      siren: '732829320',
      category: 'B',
      frequency: 'Q',
      // Above 100 meters only JSON is allowed.
      format: 'JSON',
      prms,
      days: ['2025-06-10'],
      stepMinutes: 30,
    });
  },
};

/** A monthly R63A CSV file of up to 100 meters above 36 kVA (PT5M, 31 days). */
export const publishMonthlyStage: BenchStage = {
  name: 'publish-monthly-a',
  async run(context) {
    const count = Math.ceil(Math.min(context.points, 892_800) / (288 * 31));
    const prms = await seedPrms(context.handle.db, '443061841', count, 'A', '72');
    return publishWindow(context, {
      siren: '443061841',
      category: 'A',
      frequency: 'M',
      format: 'CSV',
      prms,
      days: daysBetween('2025-07-01', '2025-08-01'),
      stepMinutes: 5,
    });
  },
};
