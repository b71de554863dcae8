import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, open, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { StringDecoder } from 'node:string_decoder';
import yauzl from 'yauzl';
import { decryptStream } from '../../crypto/customer-cipher.js';
import type { Db } from '../../db/database.js';
import { AppError } from '../../domain/app-error.js';
import type { ImportLimits } from './import-limits.js';
import { MeasurementSink, type ImportSummary } from './measurement-sink.js';
import { readR6xCsv } from './r6x-csv.reader.js';
import { readR6xJson } from './r6x-json.reader.js';

export interface ImportOptions {
  /** Name used in messages (the uploaded or given file name). */
  fileName: string;
  /** Customer key: the input is the encrypted zip (AES-256-CBC, IV first). */
  key?: Buffer | undefined;
  now: Date;
  /** Progress in bytes of content read, out of `total`. */
  onProgress?: ((done: number, total: number) => void) | undefined;
  /** Read and validate only; nothing is written (used by the bench to time parsing alone). */
  dryRun?: boolean | undefined;
  /**
   * The file is the distributor's bulk feed (a metering system's daily output spanning many SIRENs):
   * the recipient a JSON header names is not checked against the owners of its PRMs.
   */
  bulkFeed?: boolean | undefined;
  /** Bounds on the file (defaults: `DEFAULT_IMPORT_LIMITS`). */
  limits?: Partial<ImportLimits> | undefined;
}

export interface ImportResult {
  file: string;
  /** One entry per file read (the file itself, or each file of the zip). */
  parts: Array<ImportSummary & { flux: 'R63' | 'R64'; format: 'CSV' | 'JSON' }>;
  curvePoints: number;
  indexReadings: number;
  curveDaysChanged: number;
  indexReadingsChanged: number;
  bestDaysChanged: number;
  warnings: string[];
}

const ZIP_MAGIC = Buffer.from([0x50, 0x4b, 0x03, 0x04]);

/**
 * Imports one R63/R64 file (CSV or JSON; plain, zipped, or an encrypted zip when a key is given),
 * all or nothing: everything is written in one transaction that any error rolls back, the error
 * (IMPORT_REJECTED) naming the file, the line or JSON path and the rule. Importing the same file
 * again changes nothing. Memory stays bounded: the text is parsed as it streams.
 */
export async function importMeasurementFile(
  db: Db,
  file: string,
  options: ImportOptions,
): Promise<ImportResult> {
  try {
    await stat(file);
  } catch (error) {
    throw new AppError(
      'INVALID_INPUT',
      `${options.fileName}: cannot read (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
    );
  }
  if (!options.key) return importPlainFile(db, file, options);
  const dir = await mkdtemp(path.join(tmpdir(), 'publiwatt-import-'));
  try {
    const plain = path.join(dir, 'plain.zip');
    await pipeline(createReadStream(file), decryptStream(options.key), createWriteStream(plain));
    if (!(await startsWith(plain, ZIP_MAGIC))) {
      throw new AppError(
        'DECRYPTION_FAILED',
        `${options.fileName}: decrypted content is not a zip archive (wrong key?)`,
      );
    }
    return await importPlainFile(db, plain, options);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Same as `importMeasurementFile` for a stream (an HTTP upload): the body is spooled to a temporary
 * file first (a zip needs random access), then imported.
 */
export async function importMeasurementStream(
  db: Db,
  readable: Readable,
  options: ImportOptions,
): Promise<ImportResult> {
  const dir = await mkdtemp(path.join(tmpdir(), 'publiwatt-upload-'));
  try {
    const spooled = path.join(dir, 'upload');
    await pipeline(readable, createWriteStream(spooled));
    return await importMeasurementFile(db, spooled, options);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function startsWith(file: string, magic: Buffer): Promise<boolean> {
  const handle = await open(file, 'r');
  try {
    const head = Buffer.alloc(magic.length);
    const { bytesRead } = await handle.read(head, 0, magic.length, 0);
    return bytesRead === magic.length && head.equals(magic);
  } finally {
    await handle.close();
  }
}

interface Part {
  name: string;
  size: number;
  open(): Promise<Readable>;
}

async function importPlainFile(db: Db, file: string, options: ImportOptions): Promise<ImportResult> {
  let parts: Part[];
  let close = () => {};
  if (await startsWith(file, ZIP_MAGIC)) {
    const zip = await openZip(file, options.fileName);
    close = () => zip.close();
    parts = zip.parts;
    if (parts.length === 0)
      throw new AppError('IMPORT_REJECTED', `${options.fileName}: the archive holds no file`, {
        file: options.fileName,
        count: 1,
      });
  } else {
    const { size } = await stat(file);
    parts = [
      { name: options.fileName, size, open: async () => createReadStream(file, { highWaterMark: 1 << 20 }) },
    ];
  }
  const total = parts.reduce((sum, p) => sum + p.size, 0);
  let done = 0;
  try {
    return await db.transaction().execute(async (trx) => {
      const result: ImportResult = {
        file: options.fileName,
        parts: [],
        curvePoints: 0,
        indexReadings: 0,
        curveDaysChanged: 0,
        indexReadingsChanged: 0,
        bestDaysChanged: 0,
        warnings: [],
      };
      for (const part of parts) {
        const sink = new MeasurementSink(trx, part.name, options.now, {
          dryRun: options.dryRun,
          bulkFeed: options.bulkFeed,
        });
        const counter = new Transform({
          transform(chunk: Buffer, _encoding, callback) {
            done += chunk.length;
            options.onProgress?.(done, total);
            callback(null, chunk);
          },
        });
        const source = (await part.open()).pipe(counter);
        let summary: ImportSummary;
        let flux: 'R63' | 'R64';
        let format: 'CSV' | 'JSON';
        try {
          const input = await sniff(source);
          format = input.format;
          flux =
            input.format === 'JSON'
              ? await readR6xJson(input.text, sink)
              : await readR6xCsv(input.bytes, sink);
          summary = await sink.finish();
        } finally {
          // Writes run while the file is read: none may outlive the transaction.
          await sink.settle().catch(() => undefined);
        }
        result.parts.push({ ...summary, flux, format });
        result.curvePoints += summary.curvePoints;
        result.indexReadings += summary.indexReadings;
        result.curveDaysChanged += summary.curveDaysChanged;
        result.indexReadingsChanged += summary.indexReadingsChanged;
        result.bestDaysChanged += summary.bestDaysChanged;
        result.warnings.push(...summary.warnings);
      }
      return result;
    });
  } finally {
    close();
  }
}

/**
 * Tells JSON (first significant character `{`) from CSV. The CSV reader takes the raw bytes; the JSON
 * reader takes UTF-8 text.
 */
async function sniff(
  source: Readable,
): Promise<
  { format: 'CSV'; bytes: AsyncIterable<Buffer> } | { format: 'JSON'; text: AsyncIterable<string> }
> {
  const iterator = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const head: Buffer[] = [];
  let format: 'CSV' | 'JSON' = 'CSV';
  for (;;) {
    const next = await iterator.next();
    if (next.done) break;
    head.push(next.value);
    const significant = Buffer.concat(head)
      .toString('utf8')
      .replace(/^\uFEFF/, '')
      .trimStart();
    if (significant.length > 0) {
      format = significant.startsWith('{') ? 'JSON' : 'CSV';
      break;
    }
  }
  async function* bytes(): AsyncGenerator<Buffer> {
    yield* head;
    for (;;) {
      const next = await iterator.next();
      if (next.done) break;
      yield next.value;
    }
  }
  if (format === 'CSV') return { format, bytes: bytes() };
  async function* text(): AsyncGenerator<string> {
    const decoder = new StringDecoder('utf8');
    for await (const chunk of bytes()) {
      const decoded = decoder.write(chunk);
      if (decoded.length > 0) yield decoded;
    }
    const rest = decoder.end();
    if (rest.length > 0) yield rest;
  }
  return { format, text: text() };
}

function openZip(file: string, fileName: string): Promise<{ parts: Part[]; close(): void }> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true, autoClose: false }, (error, zip) => {
      if (error || !zip) {
        reject(
          new AppError(
            'IMPORT_REJECTED',
            `${fileName}: not a readable zip archive (${error?.message ?? 'unknown'})`,
            { file: fileName, count: 1 },
          ),
        );
        return;
      }
      const parts: Part[] = [];
      zip.on('entry', (entry: yauzl.Entry) => {
        if (!entry.fileName.endsWith('/')) {
          parts.push({
            name: `${fileName}/${entry.fileName}`,
            size: entry.uncompressedSize,
            open: () =>
              new Promise((res, rej) =>
                zip.openReadStream(entry, (e, stream) =>
                  e || !stream ? rej(e ?? new Error('no stream')) : res(stream),
                ),
              ),
          });
        }
        zip.readEntry();
      });
      zip.on('end', () => resolve({ parts, close: () => zip.close() }));
      zip.on('error', (e: Error) =>
        reject(
          new AppError('IMPORT_REJECTED', `${fileName}: damaged zip archive (${e.message})`, {
            file: fileName,
            count: 1,
          }),
        ),
      );
      zip.readEntry();
    });
  });
}
