import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { pino } from 'pino';
import yauzl from 'yauzl';
import type { Clock } from '../../src/clock.js';
import { ChannelRepository } from '../../src/db/channel.repository.js';
import type { DatabaseHandle, Db } from '../../src/db/database.js';
import { MeasurementRepository, type CurveDay, type Quantity } from '../../src/db/measurement.repository.js';
import { SubscriptionRepository } from '../../src/db/subscription.repository.js';
import { PublicationRunRepository } from '../../src/db/publication-run.repository.js';
import { PublicationRepository } from '../../src/db/publication.repository.js';
import type { Category } from '../../src/domain/identifiers.js';
import { pointsPerDay } from '../../src/domain/paris-calendar.js';
import { packQuality, type Stage } from '../../src/domain/point-quality.js';
import type { Frequency } from '../../src/domain/publication-windows.js';
import type { Mailer } from '../../src/notification/mailer.js';
import type { NotifierMessage } from '../../src/notification/notifier.js';
import type { ArchiveStorage } from '../../src/publication/archive/archive-storage.js';
import { createPublicationEngine, type PublicationEngine } from '../../src/publication/publication-engine.js';
import { registryCsv, type RegistryRow } from './registry-fixtures.js';
import { importRegistryCsv } from '../../src/registry/registry-import.js';

export const ALPHA_SIREN = '356000000';
export const BETA_SIREN = '552100554';
export const PRM_A1 = '30001000000001';
export const PRM_B1 = '30002000000001';
/** Category B, curve collection off. */
export const PRM_B2 = '30002000000002';
/** Category B, left Alpha on 2026-10-20. */
export const PRM_B3 = '30002000000003';
export const PRM_BETA = '30003000000001';

/** Two entreprises: Alpha (one C4, three C5 of which one without collection and one that left), Beta (one C5). */
export async function seedPublicationRegistry(db: Db): Promise<{ alpha: number; beta: number }> {
  const rows: RegistryRow[] = [
    {
      entreprise: 'Alpha SA',
      siren: ALPHA_SIREN,
      prm: PRM_A1,
      segment: 'C4',
      kva: '250',
      step: 'PT5M',
      contract: 'CTR-A1',
    },
    {
      entreprise: 'Alpha SA',
      siren: ALPHA_SIREN,
      prm: PRM_B1,
      contract: 'CTR-B1',
      collection: '2020-01-01',
      start: '2020-01-01',
    },
    { entreprise: 'Alpha SA', siren: ALPHA_SIREN, prm: PRM_B2, contract: 'CTR-B2', start: '2020-01-01' },
    {
      entreprise: 'Alpha SA',
      siren: ALPHA_SIREN,
      prm: PRM_B3,
      contract: 'CTR-B3',
      collection: '2020-01-01',
      start: '2020-01-01',
      end: '2026-10-20',
    },
    {
      entreprise: 'Beta SA',
      siren: BETA_SIREN,
      prm: PRM_BETA,
      contract: 'CTR-BETA',
      collection: '2020-01-01',
      start: '2020-01-01',
    },
  ];
  await importRegistryCsv(db, registryCsv(rows), {
    source: 'fixture.csv',
    now: new Date('2026-01-01T00:00:00Z'),
    actor: { type: 'system', id: null, label: 'test' },
  });
  const ids = await db.selectFrom('entreprise').select(['id', 'name']).execute();
  return {
    alpha: ids.find((e) => e.name === 'Alpha SA')!.id,
    beta: ids.find((e) => e.name === 'Beta SA')!.id,
  };
}

export async function subscribe(
  db: Db,
  input: {
    entrepriseId: number;
    siren: string;
    category: Category;
    dataType: 'INDEX' | 'CDC_BRUTE' | 'CDC_CORRIGEE';
    frequency: Frequency;
    format: 'CSV' | 'JSON';
    effectiveAt: Date;
  },
): Promise<number> {
  return new SubscriptionRepository(db).insert({
    ...input,
    idDemande: `T${randomBytes(5).toString('hex').toUpperCase()}`,
    requestedAt: new Date(input.effectiveAt.getTime() - 72 * 3_600_000),
    requestedBy: 'test',
  });
}

/** Alpha's daily (Q) raw load curve subscription, in CSV, from `effectiveAt`: the usual test subscription. */
export function subscribeAlphaDailyCurves(db: Db, entrepriseId: number, effectiveAt: Date): Promise<number> {
  return subscribe(db, {
    entrepriseId,
    siren: ALPHA_SIREN,
    category: 'B',
    dataType: 'CDC_BRUTE',
    frequency: 'Q',
    format: 'CSV',
    effectiveAt,
  });
}

/** A full curve day whose values are `base + i` (so a correction is visible), raw natures. */
export function fullCurveDay(
  prm: string,
  day: string,
  category: Category,
  stepMinutes: number,
  base: number,
  options: { stage?: Stage; quantity?: Quantity } = {},
): CurveDay {
  const n = pointsPerDay(day, stepMinutes);
  const values = new Int32Array(n);
  const qualities = new Uint16Array(n);
  const quality = category === 'A' ? packQuality({ n: 'R' }) : packQuality({ n: 'B', iv: 0, ec: 0 });
  for (let i = 0; i < n; i++) {
    values[i] = base + i;
    qualities[i] = quality;
  }
  return {
    prm,
    day,
    quantity: options.quantity ?? 'PA',
    stage: options.stage ?? 'BRUT',
    stepMinutes,
    values,
    qualities,
  };
}

export async function storeCurves(db: Db, days: CurveDay[], at: Date): Promise<void> {
  await new MeasurementRepository(db).upsertCurveDays(days, at);
}

export class RecordingNotifier {
  readonly messages: NotifierMessage[] = [];
  notify(message: NotifierMessage): Promise<void> {
    this.messages.push(message);
    return Promise.resolve();
  }
}

export function testEngine(
  database: DatabaseHandle,
  clock: Clock,
  options: {
    dataDir?: string;
    owner?: string;
    leaseMs?: number;
    storage?: ArchiveStorage;
    /** Receives the operators' alerts. */
    mailer?: Mailer;
  } = {},
): PublicationEngine & { dataDir: string } {
  const dataDir = options.dataDir ?? mkdtempSync(path.join(tmpdir(), 'publiwatt-pub-'));
  const engine = createPublicationEngine({
    config: { dataDir, masterKey: Buffer.alloc(32, 0x42) },
    database,
    clock,
    logger: pino({ level: 'silent' }),
    notifier: new RecordingNotifier(),
    owner: options.owner,
    leaseMs: options.leaseMs,
    storage: options.storage,
    mailer: options.mailer,
  });
  return Object.assign(engine, { dataDir });
}

/** The single entry of a zip: its name and bytes. */
export async function unzipSingle(zip: Buffer): Promise<{ name: string; content: Buffer }> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(zip, { lazyEntries: true }, (error, file) => {
      if (error || !file) return reject(error ?? new Error('no zip'));
      const entries: Array<{ name: string; content: Buffer }> = [];
      file.on('entry', (entry: yauzl.Entry) => {
        file.openReadStream(entry, (streamError, stream) => {
          if (streamError || !stream) return reject(streamError ?? new Error('no stream'));
          buffer(stream as Readable)
            .then((content) => {
              entries.push({ name: entry.fileName, content });
              file.readEntry();
            })
            .catch(reject);
        });
      });
      file.on('end', () => {
        if (entries.length !== 1) reject(new Error(`expected one entry, found ${entries.length}`));
        else resolve(entries[0]!);
      });
      file.on('error', reject);
      file.readEntry();
    });
  });
}

export async function publicationFile(engine: PublicationEngine, publicationId: number) {
  const file = await engine.files.open(publicationId);
  const zip = await buffer(file.stream());
  return { file, zip, inner: await unzipSingle(zip) };
}

/** An archive row (and its run) for a subscription, without a file: enough for scoping tests. */
export async function seedPublication(
  handle: DatabaseHandle,
  subscriptionId: number,
  entrepriseId: number,
): Promise<number> {
  const subscription = (await new SubscriptionRepository(handle.db).find(subscriptionId))!;
  const at = new Date('2026-03-01T00:00:00Z');
  const runId = await new PublicationRunRepository(handle.db).insertIfAbsent({
    subscriptionId,
    windowStart: at,
    windowEnd: new Date('2026-03-02T00:00:00Z'),
    rebuild: 0,
    status: 'pending',
    format: 'CSV',
    numSequence: 1,
    horodate: at,
    requestedBy: null,
    createdAt: at,
  });
  return new PublicationRepository(handle.db).insert(
    {
      runId: runId!,
      subscriptionId,
      entrepriseId,
      siren: subscription.siren,
      codeFlux: 'R64B',
      dataType: subscription.dataType,
      frequency: subscription.frequency,
      format: 'CSV',
      category: subscription.category,
      windowStart: at,
      windowEnd: new Date('2026-03-02T00:00:00Z'),
      createdAt: at,
      archiveName: `Enedis_R64B_Q_Index_${subscription.idDemande}_${subscription.siren}_20260301010000.zip`,
      innerName: `Enedis_R64B_Q_Index_${subscription.idDemande}_00001_20260301010000.csv`,
      size: 10,
      sha256: '0'.repeat(64),
      storageKey: 'none',
      numSequence: 1,
      idDemande: subscription.idDemande,
      prmCount: 1,
      pointCount: 1,
    },
    [{ prm: '22200000000001', contractNumber: 'CTR-Y' }],
  );
}

/** An active e-mail channel of the entreprise, inserted as it stands after its confirmation. */
export function seedEmailChannel(
  db: Db,
  entrepriseId: number,
  email: string,
  label: string,
): Promise<number> {
  return new ChannelRepository(db).insert({
    entreprise_id: entrepriseId,
    kind: 'email',
    label,
    email,
    allow_self_signed: 0,
    insecure_acknowledged: 0,
    status: 'ACTIF',
    created_at: '2026-01-01T00:00:00.000Z',
    updated_at: '2026-01-01T00:00:00.000Z',
  });
}

/** A delivery of a publication that failed for good (9 attempts), with the error shown to the customer. */
export async function seedFailedDelivery(
  db: Db,
  delivery: { publicationId: number; channelId: number; entrepriseId: number; error: string },
): Promise<number> {
  const row = await db
    .insertInto('delivery')
    .values({
      publication_id: delivery.publicationId,
      channel_id: delivery.channelId,
      entreprise_id: delivery.entrepriseId,
      resend_seq: 0,
      status: 'failed',
      attempts: 9,
      next_attempt_at: '2026-01-01T00:00:00.000Z',
      last_error: delivery.error,
      created_at: '2026-01-01T00:00:00.000Z',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}
