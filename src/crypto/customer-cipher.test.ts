import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import { describe, it } from 'node:test';
import { decryptStream, encryptStream } from './customer-cipher.js';

const KEY = Buffer.from('00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff', 'hex');

async function through(input: Buffer, transform: NodeJS.ReadWriteStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  await pipeline(Readable.from([input.subarray(0, 7), input.subarray(7)]), transform, async (source) => {
    for await (const c of source) chunks.push(c as Buffer);
  });
  return Buffer.concat(chunks);
}

describe('customer cipher', () => {
  it('round-trips with a random IV written first', async () => {
    const plain = Buffer.from('PK\u0003\u0004 some zip bytes '.repeat(100));
    const encrypted = await through(plain, encryptStream(KEY));
    assert.equal(encrypted.length, 16 + Math.ceil((plain.length + 1) / 16) * 16);
    assert.deepEqual(await through(encrypted, decryptStream(KEY)), plain);
    const again = await through(plain, encryptStream(KEY));
    assert.notDeepEqual(again.subarray(0, 16), encrypted.subarray(0, 16));
  });

  it('is what openssl decrypts with the first 16 bytes as IV', async () => {
    const plain = Buffer.from('hello publiwatt');
    const encrypted = await buffer(Readable.from([plain]).pipe(encryptStream(KEY)));
    const dir = mkdtempSync(path.join(tmpdir(), 'cipher-'));
    writeFileSync(path.join(dir, 'body'), encrypted.subarray(16));
    let out: Buffer;
    try {
      out = execFileSync('openssl', [
        'enc',
        '-d',
        '-aes-256-cbc',
        '-K',
        KEY.toString('hex'),
        '-iv',
        encrypted.subarray(0, 16).toString('hex'),
        '-in',
        path.join(dir, 'body'),
      ]);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return; // no openssl binary on this machine
      throw error;
    }
    assert.equal(out.toString(), 'hello publiwatt');
  });

  it('fails with DECRYPTION_FAILED on a wrong key', async () => {
    const encrypted = await through(Buffer.from('x'.repeat(100)), encryptStream(KEY));
    const wrong = Buffer.alloc(32, 7);
    await assert.rejects(through(encrypted, decryptStream(wrong)), { code: 'DECRYPTION_FAILED' });
    await assert.rejects(through(Buffer.alloc(10), decryptStream(KEY)), { code: 'DECRYPTION_FAILED' });
  });
});
