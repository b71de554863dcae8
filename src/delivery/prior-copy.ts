import { createDecipheriv } from 'node:crypto';
import type { CustomerKey, EncryptionKeyService } from './encryption-key.service.js';
import type { PublicationFile } from './publication-file-source.js';
import type { PriorCopyCheck } from './transports/delivery-transport.js';

/**
 * Bytes read from the end of a remote file: 17 AES blocks, the first serving as IV for the other 16.
 * The 256 bytes of zip they give hold its end of central directory and its central directory entry
 * (CRC-32 of the content, sizes, date, name) for any name Publiwatt gives.
 */
export const PRIOR_COPY_TAIL_BYTES = 17 * 16;

/** The last `count` bytes of a stream. */
async function lastBytes(stream: AsyncIterable<Buffer>, count: number): Promise<Buffer> {
  let tail = Buffer.alloc(0);
  for await (const chunk of stream) {
    tail = Buffer.concat([tail, chunk]);
    if (tail.length > count) tail = tail.subarray(tail.length - count);
  }
  return Buffer.from(tail);
}

/** The plaintext a CBC tail decrypts to with `key` (its first block is the next one's IV), if padded right. */
function decryptTail(tail: Buffer, key: Buffer): Buffer | undefined {
  try {
    const decipher = createDecipheriv('aes-256-cbc', key, tail.subarray(0, 16));
    return Buffer.concat([decipher.update(tail.subarray(16)), decipher.final()]);
  } catch {
    return undefined;
  }
}

/**
 * Recognises an earlier upload of `source`: the encryption has a random IV, so two uploads of one
 * publication never share bytes; instead the remote file's last blocks are decrypted with each of the
 * entreprise's keys (current first) and compared with the end of the zip. The transport has already
 * checked the size, which depends only on the zip's size. `keys` is called only when needed.
 */
export function priorCopyCheck(source: PublicationFile, keys: () => Promise<CustomerKey[]>): PriorCopyCheck {
  return {
    tailBytes: PRIOR_COPY_TAIL_BYTES,
    async recognise(tail) {
      if (tail.length < 32 || tail.length % 16 !== 0) return undefined;
      const expected = await lastBytes(source.stream(), tail.length);
      for (const key of await keys()) {
        const plain = decryptTail(tail, key.key);
        if (plain && plain.length > 0 && expected.subarray(expected.length - plain.length).equals(plain)) {
          return key.version;
        }
      }
      return undefined;
    },
  };
}

/** Every key version of an entreprise, the current one first (an earlier attempt may predate a rotation). */
export async function entrepriseKeys(
  keys: Pick<EncryptionKeyService, 'describe' | 'byVersion'>,
  entrepriseId: number,
): Promise<CustomerKey[]> {
  const { version, versions } = await keys.describe(entrepriseId);
  const order = [version, ...versions.map((v) => v.version).filter((v) => v !== version)];
  return Promise.all(order.map((v) => keys.byVersion(entrepriseId, v)));
}
