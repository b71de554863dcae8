import { Readable } from 'node:stream';
import { DateTime } from 'luxon';
import { ZipFile } from 'yazl';

/**
 * A Date whose local-time getters answer in Paris time whatever the process time zone. yazl writes the
 * entry's DOS timestamp from those getters; this makes the bytes of an archive independent of the
 * machine's TZ, while the extended timestamp (Unix time) stays the true instant.
 */
class ParisWallClock extends Date {
  private readonly wall: DateTime;

  constructor(instant: Date) {
    super(instant.getTime());
    this.wall = DateTime.fromJSDate(instant, { zone: 'Europe/Paris' });
  }
  override getFullYear(): number {
    return this.wall.year;
  }
  override getMonth(): number {
    return this.wall.month - 1;
  }
  override getDate(): number {
    return this.wall.day;
  }
  override getHours(): number {
    return this.wall.hour;
  }
  override getMinutes(): number {
    return this.wall.minute;
  }
  override getSeconds(): number {
    return this.wall.second;
  }
}

/**
 * Streams a zip archive holding one deflated file, `innerName`, read from `inner` as it comes (a writer's
 * chunks or any byte stream): memory stays constant whatever the size. Same input and `mtime` give the
 * same bytes, so a redone run reproduces its archive: pass the run's horodate, not the current time.
 * An error of `inner` destroys the returned stream with that error.
 */
export function writeZip(innerName: string, inner: Readable | AsyncIterable<Buffer>, mtime: Date): Readable {
  const source = inner instanceof Readable ? inner : Readable.from(inner, { objectMode: false });
  const zip = new ZipFile();
  const output = zip.outputStream as Readable;
  zip.on('error', (error: Error) => output.destroy(error));
  source.on('error', (error: Error) => output.destroy(error));
  // A consumer that gives up (destroys the zip stream) stops the producer too.
  output.on('close', () => source.destroy());
  zip.addReadStream(source, innerName, { mtime: new ParisWallClock(mtime), compress: true, mode: 0o100644 });
  zip.end();
  return output;
}
