import { buffer } from 'node:stream/consumers';
import { constants, crc32, deflateRawSync, inflateRawSync } from 'node:zlib';
import yazl from 'yazl';

/**
 * Zip archives broken on purpose: real archives (yazl) with a field of the central directory or a byte
 * of the compressed data changed, and archives assembled by hand whose declared sizes say anything.
 */

const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
const END_SIGNATURE = 0x06054b50;

/** A real archive holding the given entries (a name ending in `/` is a directory entry). */
export async function zipOf(entries: Array<{ name: string; content?: string | Buffer }>): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const entry of entries) {
    if (entry.name.endsWith('/')) zip.addEmptyDirectory(entry.name);
    else zip.addBuffer(Buffer.from(entry.content ?? ''), entry.name);
  }
  zip.end();
  return buffer(zip.outputStream);
}

interface CentralRecord {
  /** Offset of the central directory record. */
  record: number;
  /** Offset of the entry's compressed data. */
  dataStart: number;
  compressedSize: number;
}

/** The first entry of the archive, as its central directory describes it. */
function firstEntry(zip: Buffer): CentralRecord {
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (end < 0 || zip.readUInt32LE(end) !== END_SIGNATURE) throw new Error('no end of central directory');
  const record = zip.readUInt32LE(end + 16);
  if (zip.readUInt32LE(record) !== CENTRAL_SIGNATURE) throw new Error('no central directory record');
  const local = zip.readUInt32LE(record + 42);
  if (zip.readUInt32LE(local) !== LOCAL_SIGNATURE) throw new Error('no local header');
  const dataStart = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
  return { record, dataStart, compressedSize: zip.readUInt32LE(record + 20) };
}

const CENTRAL_FIELD = { crc32: 16, compressedSize: 20, uncompressedSize: 24 } as const;

/** A copy of the archive whose central directory says `value` for a field of its first entry. */
export function withCentralField(zip: Buffer, field: keyof typeof CENTRAL_FIELD, value: number): Buffer {
  const copy = Buffer.from(zip);
  copy.writeUInt32LE(value >>> 0, firstEntry(zip).record + CENTRAL_FIELD[field]);
  return copy;
}

/** A copy of the archive whose central directory gives its first entry's name `length` bytes. */
export function withCentralNameLength(zip: Buffer, length: number): Buffer {
  const copy = Buffer.from(zip);
  copy.writeUInt16LE(length, firstEntry(zip).record + 28);
  return copy;
}

/** The first entry's CRC-32 and sizes as the central directory declares them. */
export function centralFields(zip: Buffer): Record<keyof typeof CENTRAL_FIELD, number> {
  const { record } = firstEntry(zip);
  return {
    crc32: zip.readUInt32LE(record + CENTRAL_FIELD.crc32),
    compressedSize: zip.readUInt32LE(record + CENTRAL_FIELD.compressedSize),
    uncompressedSize: zip.readUInt32LE(record + CENTRAL_FIELD.uncompressedSize),
  };
}

/**
 * A copy of the archive with two adjacent bytes of its first entry's deflate data inverted, at the first
 * place (from the start of the data) where zlib then fails with Z_DATA_ERROR: the damage a bad disk or
 * transfer does, deterministic for a given archive.
 */
export function withCorruptDeflate(zip: Buffer): Buffer {
  const { dataStart, compressedSize } = firstEntry(zip);
  for (let at = dataStart + 1; at + 1 < dataStart + compressedSize; at++) {
    const copy = Buffer.from(zip);
    copy[at] = copy[at]! ^ 0xff;
    copy[at + 1] = copy[at + 1]! ^ 0xff;
    try {
      inflateRawSync(copy.subarray(dataStart, dataStart + compressedSize));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'Z_DATA_ERROR') return copy;
    }
  }
  throw new Error('no two-byte flip breaks this deflate stream');
}

export interface RawEntry {
  name: string;
  /** The entry's data as stored (deflated when `method` is 8). */
  data: Buffer;
  method: 0 | 8;
  crc32: number;
  /** What the headers declare. */
  uncompressedSize: number;
}

/** An archive assembled field by field: the headers declare exactly what the entries say, true or not. */
export function rawZip(entries: RawEntry[]): Buffer {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(LOCAL_SIGNATURE, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(1 << 11, 6);
    local.writeUInt16LE(entry.method, 8);
    local.writeUInt32LE(entry.crc32 >>> 0, 14);
    local.writeUInt32LE(entry.data.length, 18);
    local.writeUInt32LE(entry.uncompressedSize, 22);
    local.writeUInt16LE(name.length, 26);
    const record = Buffer.alloc(46);
    record.writeUInt32LE(CENTRAL_SIGNATURE, 0);
    record.writeUInt16LE(20, 4);
    record.writeUInt16LE(20, 6);
    record.writeUInt16LE(1 << 11, 8);
    record.writeUInt16LE(entry.method, 10);
    record.writeUInt32LE(entry.crc32 >>> 0, 16);
    record.writeUInt32LE(entry.data.length, 20);
    record.writeUInt32LE(entry.uncompressedSize, 24);
    record.writeUInt16LE(name.length, 28);
    record.writeUInt32LE(offset, 42);
    central.push(record, name);
    parts.push(local, name, entry.data);
    offset += local.length + name.length + entry.data.length;
  }
  const directory = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(END_SIGNATURE, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, directory, end]);
}

/** A stored (not compressed) entry with its true CRC-32 and size. */
export function storedEntry(name: string, content: string | Buffer): RawEntry {
  const bytes = Buffer.from(content);
  return { name, data: bytes, method: 0, crc32: crc32(bytes), uncompressedSize: bytes.length };
}

/**
 * Raw deflate data that inflates to `prefix` followed by `blocks` MiB of spaces, in about 1 KiB per MiB:
 * one MiB of spaces is deflated from a fresh state and ended by a full flush (byte-aligned, no reference
 * before its start), so the same bytes can be repeated any number of times; an empty final block ends it.
 */
export function spacesBomb(prefix: string, blocks: number): Buffer {
  const head = deflateRawSync(Buffer.from(prefix), { finishFlush: constants.Z_FULL_FLUSH });
  const block = deflateRawSync(Buffer.alloc(1024 * 1024, 0x20), { finishFlush: constants.Z_FULL_FLUSH });
  // BFINAL=1, BTYPE=01 (fixed Huffman), end-of-block code: a final empty block.
  const finalBlock = Buffer.from([0x03, 0x00]);
  return Buffer.concat([head, ...Array.from({ length: blocks }, () => block), finalBlock]);
}
