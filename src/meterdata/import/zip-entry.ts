import { pipeline, type Readable } from 'node:stream';
import { createInflateRaw, crc32 } from 'node:zlib';
import yauzl from 'yauzl';
import { AppError } from '../../domain/app-error.js';
import type { ImportLimits } from './import-limits.js';

/** The bounds an archive is read under. */
export type ArchiveLimits = Pick<ImportLimits, 'maxUncompressedBytes' | 'maxCompressionRatio'>;

/** The one data file of a measurement archive. */
export interface ZipDataEntry {
  /** `<archive>/<entry>`, as messages about its content name it. */
  name: string;
  /** Uncompressed size the central directory declares (the content is checked against it). */
  size: number;
  /**
   * The content, inflated as it is read. Damaged or forged data fails with IMPORT_REJECTED as soon as it
   * shows: content past the declared size or a limit, a zip inside, a deflate error; the CRC-32 and the
   * size are checked once the last byte is read, so a reader must read to the end.
   */
  content(): AsyncGenerator<Buffer>;
}

export interface OpenedArchive {
  entry: ZipDataEntry;
  close(): void;
}

const ZIP_MAGIC = Buffer.from([0x50, 0x4b, 0x03, 0x04]);
const STORED = 0;
const DEFLATED = 8;
/** Inflated chunks of 64 KiB: few chunks for the readers, little memory per archive. */
const INFLATE_CHUNK_BYTES = 64 * 1024;
/** Names of the data files listed when an archive holds too many. */
const LISTED_NAMES = 5;

/** The refusal of an archive: one message `<archive>: <what and where>`, shaped like the readers' ones. */
export function archiveRejected(archive: string, message: string): AppError {
  const line = `${archive}: ${message}`;
  return new AppError('IMPORT_REJECTED', line, { file: archive, count: 1, messages: line });
}

/**
 * Opens the zip `file` (named `archive` in messages) and finds its one data file, refusing up front what
 * the central directory already shows to be wrong: no file or several (directory entries do not count),
 * a nested archive, a zip password, an unknown compression method, a declared size or compression ratio
 * above `limits`.
 */
export async function openZipDataEntry(
  file: string,
  archive: string,
  limits: ArchiveLimits,
): Promise<OpenedArchive> {
  const zip = await openArchive(file, archive);
  try {
    const entry = await theDataEntry(zip, archive);
    checkDeclared(entry, archive, limits);
    return {
      entry: {
        name: `${archive}/${entry.fileName}`,
        size: entry.uncompressedSize,
        content: () => readChecked(zip, entry, archive, limits),
      },
      close: () => zip.close(),
    };
  } catch (error) {
    zip.close();
    throw error;
  }
}

function openArchive(file: string, archive: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true, autoClose: false, validateEntrySizes: true }, (error, zip) => {
      if (error || !zip) {
        reject(archiveRejected(archive, `not a readable zip archive (${error?.message ?? 'unknown'})`));
        return;
      }
      // Kept for the archive's whole life: an error after the listing must not go unhandled either.
      zip.on('error', (e: Error) => reject(archiveRejected(archive, `damaged zip archive (${e.message})`)));
      resolve(zip);
    });
  });
}

/** Reads the whole central directory (entries only, no data) and returns its one file entry. */
function theDataEntry(zip: yauzl.ZipFile, archive: string): Promise<yauzl.Entry> {
  return new Promise((resolve, reject) => {
    const files: yauzl.Entry[] = [];
    zip.on('error', (e: Error) => reject(archiveRejected(archive, `damaged zip archive (${e.message})`)));
    zip.on('entry', (entry: yauzl.Entry) => {
      if (!entry.fileName.endsWith('/')) files.push(entry);
      zip.readEntry();
    });
    zip.on('end', () => {
      const [first] = files;
      if (files.length === 1 && first) return resolve(first);
      const names = files
        .slice(0, LISTED_NAMES)
        .map((f) => `"${f.fileName}"`)
        .join(', ');
      const more = files.length > LISTED_NAMES ? ', …' : '';
      reject(
        archiveRejected(
          archive,
          files.length === 0
            ? 'holds no file; an archive must hold exactly one R63/R64 file'
            : `holds ${files.length} files (${names}${more}); an archive must hold exactly one R63/R64 file`,
        ),
      );
    });
    zip.readEntry();
  });
}

function checkDeclared(entry: yauzl.Entry, archive: string, limits: ArchiveLimits): void {
  const refuse = (what: string) => archiveRejected(archive, `entry "${entry.fileName}": ${what}`);
  if (entry.fileName.length === 0)
    throw archiveRejected(archive, 'its entry has no name (damaged directory)');
  if (/\.zip$/i.test(entry.fileName)) throw refuse(nestedArchive);
  if (entry.isEncrypted()) {
    throw refuse(
      'protected by a zip password, which is not supported (the customer key encrypts the whole file)',
    );
  }
  if (entry.compressionMethod !== STORED && entry.compressionMethod !== DEFLATED) {
    throw refuse(`compression method ${entry.compressionMethod} is not supported (only stored and deflate)`);
  }
  const size = entry.uncompressedSize;
  if (size > limits.maxUncompressedBytes) {
    throw refuse(`declares ${size} bytes, above the limit of ${limits.maxUncompressedBytes} bytes`);
  }
  if (size > limits.maxCompressionRatio * entry.compressedSize) {
    const ratio = entry.compressedSize === 0 ? '∞' : String(Math.round(size / entry.compressedSize));
    throw refuse(
      `declares ${size} bytes from ${entry.compressedSize} compressed ` +
        `(ratio ${ratio}:1, above the limit of ${limits.maxCompressionRatio}:1)`,
    );
  }
}

const nestedArchive = 'a zip archive inside the archive; the archive must hold the R63/R64 file itself';

/** The entry's stored bytes (still deflated): yauzl only reads the range the central directory gives. */
function openRaw(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<Readable> {
  return new Promise((resolve, reject) => {
    zip.openReadStream(entry, { decodeFileData: false }, (error, stream) =>
      error || !stream ? reject(error ?? new Error('no stream')) : resolve(stream),
    );
  });
}

/**
 * Inflates the entry in a pipeline (every stream's error handled, all destroyed on the first one or when
 * the reader stops) and checks what comes out before handing it on. The bound is computed once: the least
 * of the declared size and both limits, so a lying header stops the inflation at the first chunk past it.
 */
async function* readChecked(
  zip: yauzl.ZipFile,
  entry: yauzl.Entry,
  archive: string,
  limits: ArchiveLimits,
): AsyncGenerator<Buffer> {
  const refuse = (what: string) => archiveRejected(archive, `entry "${entry.fileName}": ${what}`);
  const declared = entry.uncompressedSize;
  const bound = Math.min(
    declared,
    limits.maxUncompressedBytes,
    limits.maxCompressionRatio * entry.compressedSize,
  );
  let count = 0;
  let crc = 0;
  let head: Buffer | undefined;
  try {
    const raw = await openRaw(zip, entry);
    const content: Readable =
      entry.compressionMethod === DEFLATED
        ? // Errors reach the reader through the last stream, which the pipeline destroys with them.
          pipeline(raw, createInflateRaw({ chunkSize: INFLATE_CHUNK_BYTES }), () => undefined)
        : raw;
    for await (const chunk of content as AsyncIterable<Buffer>) {
      if (count < ZIP_MAGIC.length) {
        head = head ? Buffer.concat([head, chunk]) : chunk;
        if (head.length >= ZIP_MAGIC.length && head.subarray(0, ZIP_MAGIC.length).equals(ZIP_MAGIC)) {
          throw refuse(nestedArchive);
        }
      }
      count += chunk.length;
      if (count > bound) throw refuse(pastBound(count, declared, bound, limits));
      crc = crc32(chunk, crc);
      yield chunk;
    }
  } catch (error) {
    if (error instanceof AppError) throw error;
    const { code, message } = error as NodeJS.ErrnoException;
    throw refuse(
      code?.startsWith('Z_')
        ? `damaged compressed data at byte ${count} (${message})`
        : `cannot be read at byte ${count} (${message})`,
    );
  }
  if (count !== declared) throw refuse(`holds ${count} bytes, not the ${declared} its header declares`);
  if (crc !== entry.crc32) {
    throw refuse(
      `CRC-32 ${hex(crc)} of the content, ${hex(entry.crc32)} in its header (damaged or altered archive)`,
    );
  }
}

function pastBound(count: number, declared: number, bound: number, limits: ArchiveLimits): string {
  if (bound === declared) return `inflates past the ${declared} bytes its header declares (at ${count})`;
  if (bound === limits.maxUncompressedBytes)
    return `inflates past the limit of ${limits.maxUncompressedBytes} bytes (at ${count})`;
  return `inflates past ${limits.maxCompressionRatio} times its compressed size (at ${count} bytes)`;
}

function hex(crc: number): string {
  return (crc >>> 0).toString(16).padStart(8, '0');
}
