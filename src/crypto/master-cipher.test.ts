import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, it } from 'node:test';
import { MasterCipher } from './master-cipher.js';

const KEY = Buffer.alloc(32, 7);

function chunked(data: Buffer, size: number): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < data.length; i += size) parts.push(data.subarray(i, i + size));
  return Readable.from(parts);
}

describe('master cipher', () => {
  it('seals strings with a versioned header and a fresh nonce each time', () => {
    const cipher = new MasterCipher(KEY);
    const a = cipher.sealString('mot-de-passe-SFTP');
    const b = cipher.sealString('mot-de-passe-SFTP');
    assert.match(a, /^pw1:/);
    assert.notEqual(a, b);
    assert.ok(!a.includes('mot-de-passe'));
    assert.equal(cipher.openString(a), 'mot-de-passe-SFTP');
  });

  it('refuses a secret sealed with another key or altered', () => {
    const sealed = new MasterCipher(KEY).sealString('secret');
    assert.throws(() => new MasterCipher(Buffer.alloc(32, 8)).openString(sealed), {
      code: 'MASTER_KEY_MISMATCH',
    });
    const raw = Buffer.from(sealed.slice(4), 'base64');
    raw[14] = raw[14]! ^ 1;
    assert.throws(() => new MasterCipher(KEY).openString(`pw1:${raw.toString('base64')}`), {
      code: 'MASTER_KEY_MISMATCH',
    });
  });

  it('streams files of any chunking back to the same bytes', async () => {
    const cipher = new MasterCipher(KEY);
    for (const size of [0, 1, 15, 16, 17, 100_000]) {
      const data = randomBytes(size);
      const sealed = await buffer(chunked(data, 7777).pipe(cipher.encryptStream()));
      assert.equal(sealed.length, 4 + 12 + size + 16);
      const opened = await buffer(chunked(sealed, 5).pipe(cipher.decryptStream()));
      assert.ok(opened.equals(data), `size ${size}`);
    }
  });

  it('detects an altered or truncated file at the end', async () => {
    const cipher = new MasterCipher(KEY);
    const sealed = await buffer(Readable.from([randomBytes(1000)]).pipe(cipher.encryptStream()));
    const altered = Buffer.from(sealed);
    altered[500] = altered[500]! ^ 1;
    await assert.rejects(buffer(Readable.from([altered]).pipe(cipher.decryptStream())), {
      code: 'MASTER_KEY_MISMATCH',
    });
    await assert.rejects(buffer(Readable.from([sealed.subarray(0, 20)]).pipe(cipher.decryptStream())), {
      code: 'MASTER_KEY_MISMATCH',
    });
  });
});
