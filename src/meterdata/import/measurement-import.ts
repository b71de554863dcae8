import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, open, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { StringDecoder } from 'node:string_decoder';
import { decryptStream } from '../../crypto/customer-cipher.js';
import type { Db } from '../../db/database.js';
import { AppError } from '../../domain/app-error.js';
import { DEFAULT_IMPORT_LIMITS, type ImportLimits } from './import-limits.js';
import { MeasurementSink, type ImportSummary } from './measurement-sink.js';
import { readR6xCsv } from './r6x-csv.reader.js';
import { readR6xJson } from './r6x-json.reader.js';
import { openZipDataEntry } from './zip-entry.js';

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
  /** The file read: the file itself, or the one file of the zip. */
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
 * again changes nothing. Memory stays bounded: the text is parsed as it streams. A zip must hold exactly
 * one data file, inflated under `options.limits` and checked (sizes, CRC-32) as it streams (`zip-entry.ts`);
 * a damaged or hostile archive is an IMPORT_REJECTED like any broken rule, an undecryptable file a
 * DECRYPTION_FAILED naming the file.
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
    try {
      await pipeline(createReadStream(file), decryptStream(options.key), createWriteStream(plain));
    } catch (error) {
      if (error instanceof AppError && error.code === 'DECRYPTION_FAILED') {
        throw new AppError(
          'DECRYPTION_FAILED',
          `${options.fileName}: ${error.detail}`,
          { ...error.params, file: options.fileName },
          { cause: error },
        );
      }
      throw error;
    }
    if (!(await startsWith(plain, ZIP_MAGIC))) {
      throw new AppError(
        'DECRYPTION_FAILED',
        `${options.fileName}: the decrypted content is not a zip archive (wrong key?)`,
        { file: options.fileName },
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
export function importMeasurementStream(
  db: Db,
  readable: Readable,
  options: ImportOptions,
): Promise<ImportResult> {
  return withSpooledUpload(readable, (file) => importMeasurementFile(db, file, options));
}

/** Writes `readable` to a temporary file, hands its path to `use`, and deletes it once `use` settles. */
export async function withSpooledUpload<T>(
  readable: Readable,
  use: (file: string) => Promise<T>,
): Promise<T> {
  const dir = await mkdtemp(path.join(tmpdir(), 'publiwatt-upload-'));
  try {
    const spooled = path.join(dir, 'upload');
    await pipeline(readable, createWriteStream(spooled));
    return await use(spooled);
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

/** The data file read: the file itself, or the one file of the zip. */
interface Part {
  name: string;
  /** Bytes of content (the declared size of a zip entry), for progress. */
  size: number;
  content(): AsyncIterable<Buffer>;
}

async function importPlainFile(db: Db, file: string, options: ImportOptions): Promise<ImportResult> {
  const limits: ImportLimits = { ...DEFAULT_IMPORT_LIMITS, ...options.limits };
  let part: Part;
  let close = () => {};
  if (await startsWith(file, ZIP_MAGIC)) {
    const archive = await openZipDataEntry(file, options.fileName, limits);
    part = archive.entry;
    close = archive.close;
  } else {
    const { size } = await stat(file);
    part = {
      name: options.fileName,
      size,
      content: () => createReadStream(file, { highWaterMark: 1 << 20 }),
    };
  }
  try {
    return await db.transaction().execute(async (trx) => {
      const sink = new MeasurementSink(trx, part.name, options.now, {
        dryRun: options.dryRun,
        bulkFeed: options.bulkFeed,
      });
      const content = (
        options.onProgress ? withProgress(part.content(), part.size, options.onProgress) : part.content()
      )[Symbol.asyncIterator]();
      let summary: ImportSummary;
      let flux: 'R63' | 'R64';
      let format: 'CSV' | 'JSON';
      try {
        const input = await sniff(content);
        format = input.format;
        flux =
          input.format === 'JSON'
            ? await readR6xJson(input.text, sink, options.limits)
            : await readR6xCsv(input.bytes, sink);
        summary = await sink.finish();
      } finally {
        // A reader that stops early (a rejection) leaves the file or the inflating archive open.
        await content.return?.();
        // Writes run while the file is read: none may outlive the transaction.
        await sink.settle().catch(() => undefined);
      }
      return {
        file: options.fileName,
        parts: [{ ...summary, flux, format }],
        curvePoints: summary.curvePoints,
        indexReadings: summary.indexReadings,
        curveDaysChanged: summary.curveDaysChanged,
        indexReadingsChanged: summary.indexReadingsChanged,
        bestDaysChanged: summary.bestDaysChanged,
        warnings: [...summary.warnings],
      };
    });
  } finally {
    close();
  }
}

async function* withProgress(
  chunks: AsyncIterable<Buffer>,
  total: number,
  onProgress: (done: number, total: number) => void,
): AsyncGenerator<Buffer> {
  let done = 0;
  for await (const chunk of chunks) {
    done += chunk.length;
    onProgress(done, total);
    yield chunk;
  }
}

/** Bytes looked at to tell JSON from CSV; a file of blanks longer than this is read as CSV. */
const SNIFF_MAX_BYTES = 64 * 1024;
const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** ASCII blanks JSON allows before its first value. */
function isBlank(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

/**
 * Tells JSON (first significant byte `{`) from CSV, and drops a leading UTF-8 byte order mark for both.
 * The CSV reader takes the raw bytes; the JSON reader takes UTF-8 text. The chunks are handed on as
 * they came (the first one sliced after a byte order mark), never copied.
 */
async function sniff(
  iterator: AsyncIterator<Buffer>,
): Promise<
  { format: 'CSV'; bytes: AsyncIterable<Buffer> } | { format: 'JSON'; text: AsyncIterable<string> }
> {
  const head: Buffer[] = [];
  let seen = 0;
  let format: 'CSV' | 'JSON' | undefined;
  while (format === undefined && seen < SNIFF_MAX_BYTES) {
    const next = await iterator.next();
    if (next.done) break;
    const chunk = next.value;
    head.push(chunk);
    for (let i = 0; i < chunk.length && format === undefined; i++) {
      const at = seen + i;
      const byte = chunk[i]!;
      // Part of a byte order mark at the very start, or a blank: not significant yet.
      if ((at < UTF8_BOM.length && byte === UTF8_BOM[at]) || isBlank(byte)) continue;
      format = byte === 0x7b ? 'JSON' : 'CSV';
    }
    seen += chunk.length;
  }
  dropByteOrderMark(head);
  async function* bytes(): AsyncGenerator<Buffer> {
    yield* head;
    for (;;) {
      const next = await iterator.next();
      if (next.done) break;
      yield next.value;
    }
  }
  if (format !== 'JSON') return { format: 'CSV', bytes: bytes() };
  async function* text(): AsyncGenerator<string> {
    const decoder = new StringDecoder('utf8');
    for await (const chunk of bytes()) {
      const decoded = decoder.write(chunk);
      if (decoded.length > 0) yield decoded;
    }
    const rest = decoder.end();
    if (rest.length > 0) yield rest;
  }
  return { format: 'JSON', text: text() };
}

/** Removes a UTF-8 byte order mark from the start of the chunks (it may span the first ones). */
function dropByteOrderMark(head: Buffer[]): void {
  let matched = 0;
  for (const chunk of head) {
    for (let i = 0; i < chunk.length && matched < UTF8_BOM.length; i++, matched++) {
      if (chunk[i] !== UTF8_BOM[matched]) return;
    }
    if (matched === UTF8_BOM.length) break;
  }
  if (matched < UTF8_BOM.length) return;
  let drop = UTF8_BOM.length;
  while (drop > 0 && head.length > 0) {
    const first = head[0]!;
    if (first.length <= drop) {
      drop -= first.length;
      head.shift();
    } else {
      head[0] = first.subarray(drop);
      drop = 0;
    }
  }
}
