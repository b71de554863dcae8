import { crc32, deflateRawSync, inflateRawSync } from 'node:zlib';

/**
 * Zip archives for the import fuzz suite, built and read byte by byte so that a case can lie in any
 * header field: a writer of plain archives (sizes and CRC in the local header, no data descriptor) and
 * an independent reference reader that says what a careful reader must make of an archive.
 */

const LOCAL_SIGNATURE = 0x04034b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const EOCD_SIGNATURE = 0x06054b50;
const LOCAL_HEADER_SIZE = 30;
const CENTRAL_RECORD_SIZE = 46;
const EOCD_SIZE = 22;
const DEFLATE = 8;
const STORE = 0;
const UTF8_NAME = 1 << 11;
/** 2026-01-01 00:00 as a DOS date and time: archives built here are byte-identical run after run. */
const DOS_DATE = ((2026 - 1980) << 9) | (1 << 5) | 1;

export interface ZipInput {
  name: string;
  content: Buffer;
  /** Deflate level (default 6); the content as it is when `stored`. */
  level?: number;
  stored?: boolean;
  /** The content already deflated, with its CRC-32 and size (`content` is then ignored). */
  deflated?: { data: Buffer; crc: number; size: number };
}

/** A zip of the given entries, in order. */
export function buildZip(entries: readonly ZipInput[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name, 'utf8');
    const data = entry.deflated
      ? entry.deflated.data
      : entry.stored
        ? entry.content
        : deflateRawSync(entry.content, { level: entry.level ?? 6 });
    const crc = entry.deflated ? entry.deflated.crc : crc32(entry.content);
    const size = entry.deflated ? entry.deflated.size : entry.content.length;
    const local = Buffer.alloc(LOCAL_HEADER_SIZE);
    local.writeUInt32LE(LOCAL_SIGNATURE, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(UTF8_NAME, 6);
    local.writeUInt16LE(entry.stored && !entry.deflated ? STORE : DEFLATE, 8);
    local.writeUInt16LE(0, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(CENTRAL_RECORD_SIZE);
    central.writeUInt32LE(CENTRAL_SIGNATURE, 0);
    central.writeUInt16LE((3 << 8) | 20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(UTF8_NAME, 8);
    central.writeUInt16LE(entry.stored && !entry.deflated ? STORE : DEFLATE, 10);
    central.writeUInt16LE(0, 12);
    central.writeUInt16LE(DOS_DATE, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE((0o100644 << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, data);
    centrals.push(central, name);
    offset += LOCAL_HEADER_SIZE + name.length + data.length;
  }
  const centralDirectory = Buffer.concat(centrals);
  const end = Buffer.alloc(EOCD_SIZE);
  end.writeUInt32LE(EOCD_SIGNATURE, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(centralDirectory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, centralDirectory, end]);
}

/** Where each field of one entry sits in an archive (offsets into the archive's bytes). */
export interface ZipEntryLayout {
  name: string;
  /** Offset of the central directory record. */
  central: number;
  /** Offset of the local header. */
  local: number;
  /** First byte of the entry's data, from the local header's own name and extra lengths. */
  dataStart: number;
  method: number;
  flags: number;
  crc: number;
  compressedSize: number;
  uncompressedSize: number;
  /** Offset of the data descriptor, when the entry has one (flag bit 3) where it is expected. */
  descriptor?: number;
}

/** Offsets of the header fields a case may lie in. */
export const ZIP_FIELDS = {
  localCrc: 14,
  localCompressedSize: 18,
  localUncompressedSize: 22,
  localNameLength: 26,
  centralCrc: 16,
  centralCompressedSize: 20,
  centralUncompressedSize: 24,
  centralNameLength: 28,
  descriptorCrc: 4,
} as const;

/** The entries of an archive as its central directory describes them; throws when it cannot be read. */
export function zipLayout(zip: Buffer): ZipEntryLayout[] {
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0 || eocd + EOCD_SIZE > zip.length) throw new Error('no end of central directory');
  const count = zip.readUInt16LE(eocd + 10);
  let at = zip.readUInt32LE(eocd + 16);
  const entries: ZipEntryLayout[] = [];
  for (let i = 0; i < count; i++) {
    if (at + CENTRAL_RECORD_SIZE > zip.length || zip.readUInt32LE(at) !== CENTRAL_SIGNATURE)
      throw new Error(`central record ${i} not found`);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    const local = zip.readUInt32LE(at + 42);
    if (local + LOCAL_HEADER_SIZE > zip.length || zip.readUInt32LE(local) !== LOCAL_SIGNATURE)
      throw new Error(`local header ${i} not found`);
    const dataStart = local + LOCAL_HEADER_SIZE + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const flags = zip.readUInt16LE(at + 8);
    const compressedSize = zip.readUInt32LE(at + 20);
    const entry: ZipEntryLayout = {
      name: zip.toString('utf8', at + CENTRAL_RECORD_SIZE, at + CENTRAL_RECORD_SIZE + nameLength),
      central: at,
      local,
      dataStart,
      method: zip.readUInt16LE(at + 10),
      flags,
      crc: zip.readUInt32LE(at + 16),
      compressedSize,
      uncompressedSize: zip.readUInt32LE(at + 24),
    };
    const descriptor = dataStart + compressedSize;
    if (flags & 8 && descriptor + 16 <= zip.length && zip.readUInt32LE(descriptor) === 0x08074b50)
      entry.descriptor = descriptor;
    entries.push(entry);
    at += CENTRAL_RECORD_SIZE + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** What the reference reader found in one entry. */
export interface ReferenceEntry {
  name: string;
  /** The inflated bytes, when the data inflates. */
  content?: Buffer;
  /** Why a careful reader must refuse this entry (bad data, CRC or size), if it must. */
  damage?: string;
  /** Uncompressed over compressed size, as declared. */
  ratio: number;
}

/**
 * Reads every entry the way a careful reader does: data found through the local header, length
 * from the central directory, inflated, then checked against the declared size and CRC. Throws when
 * the structure itself cannot be read (no directory, no header where one is announced).
 */
export function referenceRead(zip: Buffer): ReferenceEntry[] {
  return zipLayout(zip).map((entry) => {
    const ratio = entry.uncompressedSize / Math.max(1, entry.compressedSize);
    const end = entry.dataStart + entry.compressedSize;
    if (end > zip.length) return { name: entry.name, ratio, damage: 'data runs past the end of the archive' };
    const data = zip.subarray(entry.dataStart, end);
    let content: Buffer;
    try {
      if (entry.method === STORE) content = Buffer.from(data);
      else if (entry.method === DEFLATE)
        content = inflateRawSync(data, { maxOutputLength: 256 * 1024 * 1024 });
      else return { name: entry.name, ratio, damage: `compression method ${entry.method}` };
    } catch (error) {
      return { name: entry.name, ratio, damage: `data does not inflate (${(error as Error).message})` };
    }
    if (content.length !== entry.uncompressedSize)
      return {
        name: entry.name,
        ratio,
        content,
        damage: `size ${content.length} ≠ declared ${entry.uncompressedSize}`,
      };
    if (crc32(content) !== entry.crc) return { name: entry.name, ratio, content, damage: 'CRC-32 mismatch' };
    return { name: entry.name, ratio, content };
  });
}
