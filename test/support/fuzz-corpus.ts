import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { encryptStream } from '../../src/crypto/customer-cipher.js';
import type { Db } from '../../src/db/database.js';
import { PrmRepository, type PrmRecord } from '../../src/db/prm.repository.js';
import { PublicationRepository } from '../../src/db/publication.repository.js';
import { SubscriptionRepository } from '../../src/db/subscription.repository.js';
import type { Category } from '../../src/domain/identifiers.js';
import { generateMeasurements } from '../../src/meterdata/generate-measurements.js';
import type { PublicationEngine } from '../../src/publication/publication-engine.js';
import type { FakeClock } from './fake-clock.js';
import {
  ALPHA_SIREN,
  PRM_A1,
  PRM_B1,
  PRM_B2,
  PRM_B3,
  publicationFile,
  seedPublicationRegistry,
} from './publication-fixtures.js';

/** One file Publiwatt published: the archive as sent and the R63/R64 file inside it. */
export interface PublishedFile {
  /** `R63A-BRUT-CSV`, `R64B-BRUT-JSON`, … */
  label: string;
  flux: 'R63' | 'R64';
  category: Category;
  stage: 'BRUT' | 'BEST';
  format: 'CSV' | 'JSON';
  archiveName: string;
  innerName: string;
  zip: Buffer;
  inner: Buffer;
}

export type Container = 'plain' | 'zip' | 'encrypted';

/** A file as an import receives it: the inner file, the archive, or the archive encrypted. */
export interface CorpusEntry {
  id: string;
  file: PublishedFile;
  container: Container;
  bytes: Buffer;
  fileName: string;
  key?: Buffer;
}

export interface ImportCorpus {
  files: PublishedFile[];
  entries: CorpusEntry[];
  /** The customer key the encrypted entries are sealed with. */
  key: Buffer;
  /** Alpha's own PRMs, the SIREN its files are addressed to, and another SIREN of the registry. */
  prms: string[];
}

/** Measured days: one local day, so that a case imports in a few milliseconds. */
const FROM = '2026-03-10';
const TO = '2026-03-11';
const STORED_AT = new Date('2026-03-11T10:00:00Z');
const EFFECTIVE_AT = new Date('2026-03-09T08:00:00Z');
/** After the daily windows of 10–11 March and the week of 9 March (Paris) have ended. */
const PUBLISH_AT = '2026-03-16T08:00:00Z';

/**
 * Builds the corpus from files Publiwatt itself publishes: the registry of the publication tests
 * (Alpha: one C4 meter, three C5), one generated day of measurements, and subscriptions of Alpha to
 * every data type of both categories, daily in CSV and weekly in JSON, run through the real
 * publication engine. Everything is deterministic (fixed clock, fixed request ids, key and IV from
 * the seed), so a case is replayed from the seed and its number.
 */
export async function buildImportCorpus(
  db: Db,
  publication: PublicationEngine,
  clock: FakeClock,
  seed: number,
): Promise<ImportCorpus> {
  const { alpha } = await seedPublicationRegistry(db);
  const prms = [PRM_A1, PRM_B1, PRM_B2, PRM_B3];
  const records: PrmRecord[] = [];
  for (const prm of prms) records.push((await new PrmRepository(db).find(prm))!);
  await generateMeasurements(db, records, { from: FROM, to: TO, seed: 1, now: STORED_AT });

  const subscriptions = new SubscriptionRepository(db);
  const plans: Array<[Category, 'INDEX' | 'CDC_BRUTE' | 'CDC_CORRIGEE']> = [
    ['A', 'CDC_BRUTE'],
    ['A', 'CDC_CORRIGEE'],
    ['A', 'INDEX'],
    ['B', 'CDC_BRUTE'],
    ['B', 'INDEX'],
  ];
  let n = 0;
  for (const [category, dataType] of plans) {
    for (const [frequency, format] of [
      ['Q', 'CSV'],
      ['H', 'JSON'],
    ] as const) {
      await subscriptions.insert({
        entrepriseId: alpha,
        siren: ALPHA_SIREN,
        category,
        dataType,
        frequency,
        format,
        idDemande: `FUZZ${String(++n).padStart(4, '0')}`,
        requestedAt: new Date(EFFECTIVE_AT.getTime() - 72 * 3_600_000),
        effectiveAt: EFFECTIVE_AT,
        requestedBy: 'fuzz',
      });
    }
  }
  clock.set(PUBLISH_AT);
  await publication.schedule();
  const outcomes = await publication.runPending();
  if (outcomes.some((o) => o.status !== 'done')) {
    throw new Error(`publication failed: ${JSON.stringify(outcomes)}`);
  }
  const { items } = await new PublicationRepository(db).search({
    sirens: [ALPHA_SIREN],
    limit: 100,
    offset: 0,
  });
  const files: PublishedFile[] = [];
  for (const item of items.sort((a, b) => a.id - b.id)) {
    const { zip, inner } = await publicationFile(publication, item.id);
    const flux = item.codeFlux.slice(0, 3) as 'R63' | 'R64';
    const stage = item.dataType === 'CDC_CORRIGEE' ? 'BEST' : 'BRUT';
    files.push({
      label: `${item.codeFlux}-${stage}-${item.format}`,
      flux,
      category: item.category as Category,
      stage,
      format: item.format as 'CSV' | 'JSON',
      archiveName: item.archiveName,
      innerName: inner.name,
      zip,
      inner: inner.content,
    });
  }
  if (files.length !== plans.length * 2) {
    throw new Error(
      `expected ${plans.length * 2} published files, found ${files.map((f) => f.label).join(', ')}`,
    );
  }

  const key = derive(`key|${seed}`);
  const entries: CorpusEntry[] = [];
  for (const file of files) {
    entries.push({
      id: `${file.label}/plain`,
      file,
      container: 'plain',
      bytes: file.inner,
      fileName: file.innerName,
    });
    entries.push({
      id: `${file.label}/zip`,
      file,
      container: 'zip',
      bytes: file.zip,
      fileName: file.archiveName,
    });
    entries.push({
      id: `${file.label}/encrypted`,
      file,
      container: 'encrypted',
      bytes: await encrypt(file.zip, key, derive(`iv|${seed}|${file.label}`).subarray(0, 16)),
      fileName: file.archiveName,
      key,
    });
  }
  return { files, entries, key, prms };
}

/** The customer scheme (AES-256-CBC, IV first), as deliveries send an archive. */
export function encrypt(zip: Buffer, key: Buffer, iv: Buffer): Promise<Buffer> {
  return buffer(Readable.from([zip]).pipe(encryptStream(key, iv)));
}

/** 32 bytes determined by a label. */
export function derive(label: string): Buffer {
  return createHash('sha256').update(`publiwatt-fuzz|${label}`).digest();
}
