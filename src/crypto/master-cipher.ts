import { createCipheriv, createDecipheriv, randomBytes, type DecipherGCM } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { AppError } from '../domain/app-error.js';

const ALGORITHM = 'aes-256-gcm';
const NONCE_LENGTH = 12;
const TAG_LENGTH = 16;
/** Strings: `pw1:` + base64(nonce ‖ ciphertext ‖ tag). */
const STRING_PREFIX = 'pw1:';
/** Files: magic `PWM` + version byte 1, then nonce, ciphertext, and the tag as the last 16 bytes. */
const FILE_MAGIC = Buffer.from([0x50, 0x57, 0x4d, 0x01]);
const FILE_HEADER_LENGTH = FILE_MAGIC.length + NONCE_LENGTH;

function tampered(what: string, cause?: unknown): AppError {
  return new AppError(
    'MASTER_KEY_MISMATCH',
    `${what} cannot be decrypted with the master key (another key, or altered data)`,
    {},
    { cause },
  );
}

/**
 * Encryption at rest with the server's master key (AES-256-GCM, versioned header): channel secrets
 * (small strings) and archived files (streaming, one GCM message per file with its tag at the end).
 * A new nonce is drawn for every message, so a key encrypts far fewer than 2^32 messages in practice.
 */
export class MasterCipher {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new AppError('INVALID_CONFIGURATION', 'the master key must be 32 bytes');
  }

  sealString(plaintext: string): string {
    const nonce = randomBytes(NONCE_LENGTH);
    const cipher = createCipheriv(ALGORITHM, this.key, nonce);
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return STRING_PREFIX + Buffer.concat([nonce, body, cipher.getAuthTag()]).toString('base64');
  }

  openString(sealed: string): string {
    if (!sealed.startsWith(STRING_PREFIX)) throw tampered('a secret');
    const raw = Buffer.from(sealed.slice(STRING_PREFIX.length), 'base64');
    if (raw.length < NONCE_LENGTH + TAG_LENGTH) throw tampered('a secret');
    try {
      const decipher = createDecipheriv(ALGORITHM, this.key, raw.subarray(0, NONCE_LENGTH));
      decipher.setAuthTag(raw.subarray(raw.length - TAG_LENGTH));
      const body = raw.subarray(NONCE_LENGTH, raw.length - TAG_LENGTH);
      return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
    } catch (error) {
      throw tampered('a secret', error);
    }
  }

  /** Streaming file encryption: header, ciphertext, tag. */
  encryptStream(): Transform {
    const nonce = randomBytes(NONCE_LENGTH);
    const cipher = createCipheriv(ALGORITHM, this.key, nonce);
    let started = false;
    const start = (stream: Transform) => {
      if (!started) stream.push(Buffer.concat([FILE_MAGIC, nonce]));
      started = true;
    };
    return new Transform({
      transform(chunk: Buffer, _encoding, callback: TransformCallback) {
        start(this);
        callback(null, cipher.update(chunk));
      },
      flush(callback: TransformCallback) {
        start(this);
        this.push(cipher.final());
        callback(null, cipher.getAuthTag());
      },
    });
  }

  /**
   * Streaming file decryption. The last 16 bytes (the tag) are held back; authentication is checked at
   * the end, so a reader must treat an error at the end as "discard everything" (write to a temporary
   * file and rename on success, or abort the HTTP response).
   */
  decryptStream(): Transform {
    const key = this.key;
    let pending = Buffer.alloc(0);
    let decipher: DecipherGCM | undefined;
    return new Transform({
      transform(chunk: Buffer, _encoding, callback: TransformCallback) {
        pending = Buffer.concat([pending, chunk]);
        if (!decipher) {
          if (pending.length < FILE_HEADER_LENGTH) return callback();
          if (!pending.subarray(0, FILE_MAGIC.length).equals(FILE_MAGIC)) {
            return callback(tampered('the file'));
          }
          decipher = createDecipheriv(
            ALGORITHM,
            key,
            pending.subarray(FILE_MAGIC.length, FILE_HEADER_LENGTH),
          );
          pending = pending.subarray(FILE_HEADER_LENGTH);
        }
        if (pending.length <= TAG_LENGTH) return callback();
        const body = pending.subarray(0, pending.length - TAG_LENGTH);
        pending = Buffer.from(pending.subarray(pending.length - TAG_LENGTH));
        callback(null, decipher.update(body));
      },
      flush(callback: TransformCallback) {
        if (!decipher || pending.length !== TAG_LENGTH) return callback(tampered('the file'));
        try {
          decipher.setAuthTag(pending);
          callback(null, decipher.final());
        } catch (error) {
          callback(tampered('the file', error));
        }
      },
    });
  }
}
