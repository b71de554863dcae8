import { createCipheriv, createDecipheriv, randomBytes, type Decipher } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { AppError } from '../domain/app-error.js';

/**
 * The customers' file encryption scheme (the distributor's): AES-256-CBC with PKCS#7 padding, a
 * random 16-byte IV written as the first 16 bytes of the file, the zip archive as plaintext.
 * Decryptable with `openssl enc -d -aes-256-cbc -K <key hex> -iv <first 16 bytes hex>` on the rest.
 */
const ALGORITHM = 'aes-256-cbc';
const IV_LENGTH = 16;

function checkKey(key: Buffer): void {
  if (key.length !== 32) {
    throw new AppError(
      'INVALID_INPUT',
      `an encryption key is 32 bytes (64 hex characters), got ${key.length}`,
    );
  }
}

/** Parses a 64-hex-character key. */
export function parseKeyHex(hex: string): Buffer {
  if (!/^[0-9a-fA-F]{64}$/.test(hex.trim())) {
    throw new AppError('INVALID_INPUT', 'an encryption key is 64 hexadecimal characters');
  }
  return Buffer.from(hex.trim(), 'hex');
}

/** Encrypts a stream: writes a random IV (or the given one), then the ciphertext. */
export function encryptStream(key: Buffer, iv: Buffer = randomBytes(IV_LENGTH)): Transform {
  checkKey(key);
  const cipher = createCipheriv(ALGORITHM, key, iv);
  let ivWritten = false;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      if (!ivWritten) {
        this.push(iv);
        ivWritten = true;
      }
      callback(null, cipher.update(chunk));
    },
    flush(callback: TransformCallback) {
      if (!ivWritten) this.push(iv);
      callback(null, cipher.final());
    },
  });
}

/** Decrypts a stream produced by `encryptStream`; a wrong key or a damaged file fails with DECRYPTION_FAILED. */
export function decryptStream(key: Buffer): Transform {
  checkKey(key);
  let head = Buffer.alloc(0);
  let decipher: Decipher | undefined;
  const failed = (cause?: unknown) =>
    new AppError(
      'DECRYPTION_FAILED',
      'the file cannot be decrypted with this key (wrong key or damaged file)',
      {},
      { cause },
    );
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      try {
        if (!decipher) {
          head = Buffer.concat([head, chunk]);
          if (head.length < IV_LENGTH) return callback();
          decipher = createDecipheriv(ALGORITHM, key, head.subarray(0, IV_LENGTH));
          chunk = head.subarray(IV_LENGTH);
        }
        callback(null, decipher.update(chunk));
      } catch (error) {
        callback(failed(error));
      }
    },
    flush(callback: TransformCallback) {
      if (!decipher) return callback(failed());
      try {
        callback(null, decipher.final());
      } catch (error) {
        callback(failed(error));
      }
    },
  });
}
