import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ByteChunkBuffer, ChunkBuffer } from './chunk-buffer.js';

describe('ByteChunkBuffer', () => {
  it('writes 32-bit integers as String() does', () => {
    const values = [0, -0, 7, -7, 9, 10, 99, 100, 4321, -4321, 2147483647, -2147483648, 1000000000];
    const out = new ByteChunkBuffer();
    for (const value of values) {
      out.int32(value);
      out.push(' ');
    }
    assert.equal(out.take().toString(), values.map((v) => `${String(v)} `).join(''));
  });

  it('gives the same bytes as ChunkBuffer for text, fragments and integers, growing past its threshold', () => {
    const bytes = new ByteChunkBuffer(16);
    const text = new ChunkBuffer(16);
    const fragment = Buffer.from('","d":"2026-03-29T03:00:00+02:00"}');
    for (let i = 0; i < 50; i++) {
      bytes.push(`{"é":"${i}"`);
      text.push(`{"é":"${i}"`);
      bytes.bytes(fragment);
      text.push(fragment.toString());
      bytes.int32(-i * 1001);
      text.push(String(-i * 1001));
    }
    assert.ok(bytes.full);
    const expected = text.take();
    assert.ok(bytes.take().equals(expected));
    assert.equal(bytes.full, false);
    assert.equal(bytes.take().length, 0);
  });
});
