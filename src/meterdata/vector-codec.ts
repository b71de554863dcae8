/**
 * Binary form of a PRM-day curve: values as little-endian int32 (W or VAr, whole numbers as the
 * guide publishes them) and qualities as little-endian uint16 (see domain/point-quality.ts), one
 * element per point of the local day. A point with quality 0 is absent (its value is 0 and ignored).
 * Same bytes on SQLite (blob) and PostgreSQL (bytea).
 */
export interface CurveVectors {
  values: Int32Array;
  qualities: Uint16Array;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export function encodeValues(values: Int32Array): Buffer {
  if (LITTLE_ENDIAN) return Buffer.from(values.buffer, values.byteOffset, values.byteLength);
  const out = Buffer.allocUnsafe(values.length * 4);
  for (let i = 0; i < values.length; i++) out.writeInt32LE(values[i]!, i * 4);
  return out;
}

export function encodeQualities(qualities: Uint16Array): Buffer {
  if (LITTLE_ENDIAN) return Buffer.from(qualities.buffer, qualities.byteOffset, qualities.byteLength);
  const out = Buffer.allocUnsafe(qualities.length * 2);
  for (let i = 0; i < qualities.length; i++) out.writeUInt16LE(qualities[i]!, i * 2);
  return out;
}

function aligned(bytes: Uint8Array, width: number): ArrayBuffer | Uint8Array {
  // Typed arrays need an aligned offset; database drivers hand out slices of shared buffers.
  return bytes.byteOffset % width === 0 ? bytes : new Uint8Array(bytes);
}

export function decodeValues(bytes: Uint8Array): Int32Array {
  if (bytes.byteLength % 4 !== 0) throw new RangeError(`value vector of ${bytes.byteLength} bytes`);
  if (!LITTLE_ENDIAN) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return Int32Array.from({ length: bytes.byteLength / 4 }, (_, i) => view.getInt32(i * 4, true));
  }
  const source = aligned(bytes, 4) as Uint8Array;
  return new Int32Array(source.buffer, source.byteOffset, source.byteLength / 4);
}

export function decodeQualities(bytes: Uint8Array): Uint16Array {
  if (bytes.byteLength % 2 !== 0) throw new RangeError(`quality vector of ${bytes.byteLength} bytes`);
  if (!LITTLE_ENDIAN) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return Uint16Array.from({ length: bytes.byteLength / 2 }, (_, i) => view.getUint16(i * 2, true));
  }
  const source = aligned(bytes, 2) as Uint8Array;
  return new Uint16Array(source.buffer, source.byteOffset, source.byteLength / 2);
}

/** Whether two curve days hold the same points (used to skip no-op rewrites). */
export function sameVectors(a: CurveVectors, b: CurveVectors): boolean {
  if (a.values.length !== b.values.length) return false;
  for (let i = 0; i < a.values.length; i++) {
    if (a.values[i] !== b.values[i] || a.qualities[i] !== b.qualities[i]) return false;
  }
  return true;
}
