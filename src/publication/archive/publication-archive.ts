import { createHash } from 'node:crypto';
import { PassThrough, Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { MasterCipher } from '../../crypto/master-cipher.js';
import type { ArchiveStorage } from './archive-storage.js';

/**
 * The archive of published files: each zip is sealed with the master key before it reaches storage,
 * and opened again on the way out. Size and SHA-256 are those of the zip itself (what a customer
 * downloads and what the channels receive, before the customer encryption).
 */
export class PublicationArchive {
  constructor(
    private readonly storage: ArchiveStorage,
    private readonly cipher: MasterCipher,
  ) {}

  async put(key: string, zip: Readable): Promise<{ size: number; sha256: string }> {
    const hash = createHash('sha256');
    let size = 0;
    const measure = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        hash.update(chunk);
        size += chunk.length;
        callback(null, chunk);
      },
    });
    const sealed = new PassThrough();
    // Storage consumes `sealed` while the pipeline fills it: both must run together. Both are awaited
    // even when one fails, so that a failed write has removed its temporary file when this rejects.
    const [piped, written] = await Promise.allSettled([
      pipeline(zip, measure, this.cipher.encryptStream(), sealed),
      this.storage.write(key, sealed),
    ]);
    if (piped.status === 'rejected') throw piped.reason;
    if (written.status === 'rejected') throw written.reason;
    return { size, sha256: hash.digest('hex') };
  }

  /** The plain zip. Authentication is checked at the end: an altered file errors the stream. */
  async open(key: string): Promise<Readable> {
    const source = await this.storage.read(key);
    const decipher = this.cipher.decryptStream();
    source.on('error', (error) => decipher.destroy(error));
    return source.pipe(decipher);
  }

  delete(key: string): Promise<void> {
    return this.storage.delete(key);
  }
}
