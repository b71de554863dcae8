import { createCipheriv, createDecipheriv, randomBytes, type Decipher } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { AppError } from '../domain/app-error.js';

/**
 * The distributor's file scheme (docs/product-rules.md "Encryption"): AES-256-CBC, PKCS#7 padding, a random 16-byte IV
 * written as the first 16 bytes, the zip archive as plaintext. Existing decoders and
 * `openssl enc -d -aes-256-cbc -K <key> -iv <first 16 bytes hex>` read it.
 */
const ALGORITHM = 'aes-256-cbc';
const IV_LENGTH = 16;
const BLOCK_LENGTH = 16;

function checkKey(key: Buffer): void {
  if (key.length !== 32) {
    throw new AppError('INVALID_ENCRYPTION_KEY', 'the key must be 32 bytes (64 hexadecimal characters)');
  }
}

/** Parses a key given as 64 hexadecimal characters (the form shown to customers). */
export function parseKeyHex(hex: string): Buffer {
  if (!/^[0-9a-fA-F]{64}$/.test(hex.trim())) {
    throw new AppError('INVALID_ENCRYPTION_KEY', 'the key must be 64 hexadecimal characters (32 bytes)');
  }
  return Buffer.from(hex.trim(), 'hex');
}

/** Encrypts a stream: writes a fresh random IV (or the given one, for tests), then the ciphertext. */
export function encryptStream(key: Buffer, iv: Buffer = randomBytes(IV_LENGTH)): Transform {
  checkKey(key);
  const cipher = createCipheriv(ALGORITHM, key, iv);
  let ivWritten = false;
  const writeIv = (stream: Transform) => {
    if (!ivWritten) {
      stream.push(iv);
      ivWritten = true;
    }
  };
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      writeIv(this);
      callback(null, cipher.update(chunk));
    },
    flush(callback: TransformCallback) {
      writeIv(this);
      callback(null, cipher.final());
    },
  });
}

function decryptionFailed(reason: string, cause?: unknown): AppError {
  return new AppError(
    'DECRYPTION_FAILED',
    `the file cannot be decrypted with this key (${reason})`,
    { reason },
    { cause },
  );
}

/**
 * Decrypts a stream written by `encryptStream`. A wrong key surfaces at the end (bad padding) as
 * `DECRYPTION_FAILED`: callers writing a file must write to a temporary name and rename on success.
 * The error says why: no IV, a length that cannot be AES-CBC (truncated or not encrypted), or bad padding.
 */
export function decryptStream(key: Buffer): Transform {
  checkKey(key);
  let header = Buffer.alloc(0);
  let decipher: Decipher | undefined;
  let ciphertextBytes = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      try {
        if (!decipher) {
          header = Buffer.concat([header, chunk]);
          if (header.length < IV_LENGTH) return callback();
          decipher = createDecipheriv(ALGORITHM, key, header.subarray(0, IV_LENGTH));
          chunk = header.subarray(IV_LENGTH);
        }
        ciphertextBytes += chunk.length;
        callback(null, decipher.update(chunk));
      } catch (error) {
        callback(decryptionFailed('unreadable data', error));
      }
    },
    flush(callback: TransformCallback) {
      if (!decipher) {
        return callback(decryptionFailed(`it is shorter than its ${IV_LENGTH}-byte IV: empty or truncated`));
      }
      if (ciphertextBytes === 0) return callback(decryptionFailed('nothing follows its IV: truncated'));
      if (ciphertextBytes % BLOCK_LENGTH !== 0) {
        return callback(
          decryptionFailed(
            `its ${ciphertextBytes} bytes after the IV are not a multiple of ${BLOCK_LENGTH} bytes: ` +
              'truncated, or not an encrypted file',
          ),
        );
      }
      try {
        callback(null, decipher.final());
      } catch (error) {
        callback(decryptionFailed('bad padding in its last block: wrong key, or a damaged file', error));
      }
    },
  });
}
