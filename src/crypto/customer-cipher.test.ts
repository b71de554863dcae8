import assert from 'node:assert/strict';
import { createCipheriv, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, it } from 'node:test';
import { decryptStream, encryptStream } from './customer-cipher.js';

const KEY = Buffer.from('00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff', 'hex');

describe('customer cipher (AES-256-CBC, IV first)', () => {
  it('writes a fresh IV then PKCS#7-padded blocks, and decrypts back', async () => {
    for (const size of [0, 1, 16, 31, 70_000]) {
      const data = randomBytes(size);
      const encrypted = await buffer(
        Readable.from([data.subarray(0, 10), data.subarray(10)]).pipe(encryptStream(KEY)),
      );
      assert.equal(encrypted.length, 16 + (Math.floor(size / 16) + 1) * 16);
      const iv = encrypted.subarray(0, 16);
      const expected = createCipheriv('aes-256-cbc', KEY, iv);
      assert.ok(encrypted.subarray(16).equals(Buffer.concat([expected.update(data), expected.final()])));
      const decrypted = await buffer(
        Readable.from([encrypted.subarray(0, 5), encrypted.subarray(5)]).pipe(decryptStream(KEY)),
      );
      assert.ok(decrypted.equals(data));
    }
  });

  it('never reuses an IV', async () => {
    const a = await buffer(Readable.from([Buffer.from('zip')]).pipe(encryptStream(KEY)));
    const b = await buffer(Readable.from([Buffer.from('zip')]).pipe(encryptStream(KEY)));
    assert.ok(!a.subarray(0, 16).equals(b.subarray(0, 16)));
  });

  it('reports a wrong key as DECRYPTION_FAILED', async () => {
    // Fixed IV and keys: this wrong key is known to give bad padding on this ciphertext.
    const iv = Buffer.alloc(16, 3);
    const cipher = createCipheriv('aes-256-cbc', KEY, iv);
    const file = Buffer.concat([iv, cipher.update(Buffer.from('PK\u0003\u0004 a zip')), cipher.final()]);
    await assert.rejects(buffer(Readable.from([file]).pipe(decryptStream(Buffer.alloc(32, 0x42)))), {
      code: 'DECRYPTION_FAILED',
    });
    await assert.rejects(buffer(Readable.from([Buffer.alloc(5)]).pipe(decryptStream(KEY))), {
      code: 'DECRYPTION_FAILED',
    });
  });

  it('refuses a key that is not 32 bytes', () => {
    assert.throws(() => encryptStream(Buffer.alloc(16)), { code: 'INVALID_ENCRYPTION_KEY' });
  });
});
