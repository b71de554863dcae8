import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NATURES, packQuality, unpackQuality } from '../domain/point-quality.js';
import { decodeQualities, decodeValues, encodeQualities, encodeValues, sameVectors } from './vector-codec.js';

describe('vector codec', () => {
  it('round-trips values, including negatives and extremes, in 4 bytes per point', () => {
    const values = Int32Array.from([0, 1, -1, 123456, 2_147_483_647, -2_147_483_648]);
    const bytes = encodeValues(values);
    assert.equal(bytes.length, 24);
    assert.deepEqual(decodeValues(bytes), values);
  });

  it('decodes from unaligned slices of a shared buffer', () => {
    const bytes = encodeValues(Int32Array.from([7, 8, 9]));
    const shared = Buffer.alloc(bytes.length + 1);
    bytes.copy(shared, 1);
    assert.deepEqual(decodeValues(shared.subarray(1)), Int32Array.from([7, 8, 9]));
    const q = encodeQualities(Uint16Array.from([1, 2]));
    const sharedQ = Buffer.alloc(5);
    q.copy(sharedQ, 1);
    assert.deepEqual(decodeQualities(sharedQ.subarray(1)), Uint16Array.from([1, 2]));
  });

  it('refuses a truncated vector', () => {
    assert.throws(() => decodeValues(Buffer.alloc(5)), RangeError);
  });

  it('packs every nature with tc, iv and ec in 16 bits', () => {
    for (const n of NATURES) {
      const q = { n, tc: 'A' as const, iv: 2, ec: 11 };
      const code = packQuality(q);
      assert.ok(code > 0 && code < 65536);
      assert.deepEqual(unpackQuality(code), q);
    }
    assert.deepEqual(unpackQuality(packQuality({ n: 'B', iv: 0, ec: 0 })), {
      n: 'B',
      tc: undefined,
      iv: 0,
      ec: 0,
    });
    assert.equal(unpackQuality(0), undefined);
  });

  it('compares vectors', () => {
    const a = { values: Int32Array.from([1, 2]), qualities: Uint16Array.from([3, 3]) };
    assert.equal(
      sameVectors(a, { values: Int32Array.from([1, 2]), qualities: Uint16Array.from([3, 3]) }),
      true,
    );
    assert.equal(
      sameVectors(a, { values: Int32Array.from([1, 2]), qualities: Uint16Array.from([3, 4]) }),
      false,
    );
  });
});
