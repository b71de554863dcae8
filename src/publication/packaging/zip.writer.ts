import { Readable } from 'node:stream';
import { DateTime } from 'luxon';
import { PARIS_ZONE } from '../../domain/paris-calendar.js';
import { deflateInThread, type DeflateSummary } from './deflate-thread.js';

/*
 * Layout of the one-entry archive (APPNOTE 6.3): local header with a data descriptor (sizes and CRC are
 * known only at the end), deflated data, data descriptor, central directory record with an Info-ZIP
 * extended timestamp, end of central directory; the ZIP64 records only when a size or offset needs them.
 * The bytes are those yazl 3 writes for one `addReadStream` entry (checked by the tests), computed here
 * with zlib's native CRC-32 instead of a JavaScript one; deflate and CRC run in a worker thread.
 */
const DEFLATE_LEVEL = 6;
/** zlib's output buffers: few messages back from the deflate thread. */
const DEFLATE_OUTPUT_CHUNK = 256 * 1024;
const VERSION_NEEDED_UTF8 = 20;
const VERSION_NEEDED_ZIP64 = 45;
/** Unix, spec 6.3. */
const VERSION_MADE_BY = (3 << 8) | 63;
const FLAGS = (1 << 11) | (1 << 3); // UTF-8 name; CRC and sizes in the data descriptor
const DEFLATE = 8;
const FILE_MODE = 0o100644;
const LOCAL_HEADER_SIZE = 30;
const CENTRAL_RECORD_SIZE = 46;
const EXTENDED_TIMESTAMP_SIZE = 9;
const ZIP64_EXTRA_SIZE = 28;
const ZIP64_EOCD_SIZE = 56;
const ZIP64_LOCATOR_SIZE = 20;
const EOCD_SIZE = 22;
const MAX_32 = 0xffffffff;

function writeUInt64LE(buffer: Buffer, value: number, offset: number): void {
  buffer.writeUInt32LE(value % 0x100000000, offset);
  buffer.writeUInt32LE(Math.floor(value / 0x100000000), offset + 4);
}

/** DOS date and time of the entry: the Paris wall clock, whatever the process time zone. */
function dosDateTime(mtime: Date): { date: number; time: number } {
  let wall = DateTime.fromJSDate(mtime, { zone: PARIS_ZONE });
  if (wall.year < 1980) wall = DateTime.fromObject({ year: 1980, month: 1, day: 1 });
  else if (wall.year > 2107)
    wall = DateTime.fromObject({ year: 2107, month: 12, day: 31, hour: 23, minute: 59, second: 58 });
  return {
    date: (wall.day & 0x1f) | ((wall.month & 0xf) << 5) | (((wall.year - 1980) & 0x7f) << 9),
    time: Math.floor(wall.second / 2) | ((wall.minute & 0x3f) << 5) | ((wall.hour & 0x1f) << 11),
  };
}

function localHeader(name: Buffer, dos: { date: number; time: number }): Buffer {
  const header = Buffer.alloc(LOCAL_HEADER_SIZE + name.length);
  header.writeUInt32LE(0x04034b50, 0);
  header.writeUInt16LE(VERSION_NEEDED_UTF8, 4);
  header.writeUInt16LE(FLAGS, 6);
  header.writeUInt16LE(DEFLATE, 8);
  header.writeUInt16LE(dos.time, 10);
  header.writeUInt16LE(dos.date, 12);
  // CRC and sizes (bytes 14–25) stay zero: they follow the data.
  header.writeUInt16LE(name.length, 26);
  name.copy(header, LOCAL_HEADER_SIZE);
  return header;
}

interface EntryEnd {
  name: Buffer;
  dos: { date: number; time: number };
  mtime: Date;
  crc: number;
  size: number;
  compressed: number;
}

/** Data descriptor, central directory and its end, written once the data is out. */
function trailer(entry: EntryEnd): Buffer {
  const zip64 = entry.size > MAX_32 - 1 || entry.compressed > MAX_32 - 1;
  const descriptor = Buffer.alloc(zip64 ? 24 : 16);
  descriptor.writeUInt32LE(0x08074b50, 0);
  descriptor.writeUInt32LE(entry.crc, 4);
  if (zip64) {
    writeUInt64LE(descriptor, entry.compressed, 8);
    writeUInt64LE(descriptor, entry.size, 16);
  } else {
    descriptor.writeUInt32LE(entry.compressed, 8);
    descriptor.writeUInt32LE(entry.size, 12);
  }

  const extraLength = EXTENDED_TIMESTAMP_SIZE + (zip64 ? ZIP64_EXTRA_SIZE : 0);
  const central = Buffer.alloc(CENTRAL_RECORD_SIZE + entry.name.length + extraLength);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(VERSION_MADE_BY, 4);
  central.writeUInt16LE(zip64 ? VERSION_NEEDED_ZIP64 : VERSION_NEEDED_UTF8, 6);
  central.writeUInt16LE(FLAGS, 8);
  central.writeUInt16LE(DEFLATE, 10);
  central.writeUInt16LE(entry.dos.time, 12);
  central.writeUInt16LE(entry.dos.date, 14);
  central.writeUInt32LE(entry.crc, 16);
  central.writeUInt32LE(zip64 ? MAX_32 : entry.compressed, 20);
  central.writeUInt32LE(zip64 ? MAX_32 : entry.size, 24);
  central.writeUInt16LE(entry.name.length, 28);
  central.writeUInt16LE(extraLength, 30);
  // Comment length, disk, internal attributes: zero.
  central.writeUInt32LE((FILE_MODE << 16) >>> 0, 38);
  // The local header is at offset 0 (a ZIP64 entry says so in its extra field).
  central.writeUInt32LE(zip64 ? MAX_32 : 0, 42);
  let at = CENTRAL_RECORD_SIZE;
  at += entry.name.copy(central, at);
  // Info-ZIP extended timestamp: mtime flag and, as Info-ZIP does, the atime flag without an atime.
  central.writeUInt16LE(0x5455, at);
  central.writeUInt16LE(EXTENDED_TIMESTAMP_SIZE - 4, at + 2);
  central.writeUInt8(0b11, at + 4);
  const unix = Math.min(Math.max(Math.floor(entry.mtime.getTime() / 1000), -0x80000000), 0x7fffffff);
  central.writeUInt32LE(unix >>> 0, at + 5);
  at += EXTENDED_TIMESTAMP_SIZE;
  if (zip64) {
    central.writeUInt16LE(0x0001, at);
    central.writeUInt16LE(ZIP64_EXTRA_SIZE - 4, at + 2);
    writeUInt64LE(central, entry.size, at + 4);
    writeUInt64LE(central, entry.compressed, at + 12);
    writeUInt64LE(central, 0, at + 20);
  }

  const centralOffset = LOCAL_HEADER_SIZE + entry.name.length + entry.compressed + descriptor.length;
  const needZip64End = centralOffset >= MAX_32;
  const end = Buffer.alloc(EOCD_SIZE);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length, 12);
  end.writeUInt32LE(needZip64End ? MAX_32 : centralOffset, 16);
  if (!needZip64End) return Buffer.concat([descriptor, central, end]);

  const zip64End = Buffer.alloc(ZIP64_EOCD_SIZE);
  zip64End.writeUInt32LE(0x06064b50, 0);
  writeUInt64LE(zip64End, ZIP64_EOCD_SIZE - 12, 4);
  zip64End.writeUInt16LE(VERSION_MADE_BY, 12);
  zip64End.writeUInt16LE(VERSION_NEEDED_ZIP64, 14);
  writeUInt64LE(zip64End, 1, 24);
  writeUInt64LE(zip64End, 1, 32);
  writeUInt64LE(zip64End, central.length, 40);
  writeUInt64LE(zip64End, centralOffset, 48);
  const locator = Buffer.alloc(ZIP64_LOCATOR_SIZE);
  locator.writeUInt32LE(0x07064b50, 0);
  writeUInt64LE(locator, centralOffset + central.length, 8);
  locator.writeUInt32LE(1, 16);
  return Buffer.concat([descriptor, central, zip64End, locator, end]);
}

async function* zipParts(
  innerName: string,
  source: Readable | AsyncIterable<Buffer>,
  mtime: Date,
): AsyncGenerator<Buffer> {
  const name = Buffer.from(innerName, 'utf8');
  const dos = dosDateTime(mtime);
  yield localHeader(name, dos);
  let compressed = 0;
  const deflated = deflateInThread(source as AsyncIterable<Buffer | string>, {
    level: DEFLATE_LEVEL,
    chunkSize: DEFLATE_OUTPUT_CHUNK,
  });
  let summary: DeflateSummary;
  try {
    for (;;) {
      const next = await deflated.next();
      if (next.done) {
        summary = next.value;
        break;
      }
      compressed += next.value.length;
      yield next.value;
    }
  } finally {
    // A consumer that stops early ends the deflate job (a no-op once it is done).
    await deflated.return(undefined as never);
  }
  const { crc, size } = summary;
  yield trailer({ name, dos, mtime, crc, size, compressed });
}

/**
 * Streams a zip archive holding one deflated file, `innerName`, read from `inner` as it comes (a writer's
 * chunks or any byte stream): memory stays constant whatever the size. Same input and `mtime` give the
 * same bytes, so a redone run reproduces its archive: pass the run's horodate, not the current time.
 * The entry's DOS timestamp is the Paris wall clock of `mtime`, independent of the process time zone.
 * An error of `inner` destroys the returned stream with that error; destroying the returned stream
 * stops reading `inner`.
 */
export function writeZip(innerName: string, inner: Readable | AsyncIterable<Buffer>, mtime: Date): Readable {
  if (innerName === '' || /[\\/]/.test(innerName)) {
    throw new RangeError(`zip entry name "${innerName}" is not a plain file name`);
  }
  const output = Readable.from(zipParts(innerName, inner, mtime), { objectMode: false });
  // Also when the archive is dropped before its first byte was read (the content not yet piped).
  if (inner instanceof Readable) output.on('close', () => inner.destroy());
  return output;
}
