/**
 * Collects the small strings a writer produces and hands them out as UTF-8 buffers of about `threshold`
 * characters: few, large chunks keep stream overhead off the per-point path.
 */
export class ChunkBuffer {
  private text = '';

  constructor(private readonly threshold = 64 * 1024) {}

  push(part: string): void {
    this.text += part;
  }

  get full(): boolean {
    return this.text.length >= this.threshold;
  }

  take(): Buffer {
    const chunk = Buffer.from(this.text, 'utf8');
    this.text = '';
    return chunk;
  }
}

/** Bytes a fragment may take beyond the threshold before the buffer has to grow. */
const SLACK = 4096;

/**
 * `ChunkBuffer` writing straight into bytes, for the per-point path of the largest files: there,
 * building a string for each point and encoding the whole text again was a third of the writer's
 * time. Fragments encoded once (`bytes`) and integers (`int32`) cost no string at all.
 */
export class ByteChunkBuffer {
  private buffer: Buffer;
  private length = 0;

  constructor(private readonly threshold = 64 * 1024) {
    this.buffer = Buffer.allocUnsafe(threshold + SLACK);
  }

  private room(bytes: number): void {
    if (this.length + bytes <= this.buffer.length) return;
    const larger = Buffer.allocUnsafe(Math.max(2 * this.buffer.length, this.length + bytes));
    this.buffer.copy(larger, 0, 0, this.length);
    this.buffer = larger;
  }

  push(part: string): void {
    this.room(3 * part.length);
    this.length += this.buffer.write(part, this.length);
  }

  bytes(fragment: Uint8Array): void {
    this.room(fragment.length);
    this.buffer.set(fragment, this.length);
    this.length += fragment.length;
  }

  /** A 32-bit integer in decimal, as `String(value)` writes it. */
  int32(value: number): void {
    this.room(11);
    const buffer = this.buffer;
    let at = this.length;
    let rest = value;
    if (rest < 0) {
      buffer[at++] = 0x2d;
      rest = -rest;
    }
    let digits = 1;
    for (let power = 10; rest >= power && digits < 10; power *= 10) digits++;
    // Integer division by `| 0`: `rest` is at most 2^31, so `rest / 10` fits an int32 (Math.floor on
    // doubles made this loop most of the writer's time).
    for (let i = at + digits - 1; i >= at; i--) {
      const tenth = (rest / 10) | 0;
      buffer[i] = 0x30 + rest - 10 * tenth;
      rest = tenth;
    }
    this.length = at + digits;
  }

  get full(): boolean {
    return this.length >= this.threshold;
  }

  take(): Buffer {
    const chunk = this.buffer.subarray(0, this.length);
    this.buffer = Buffer.allocUnsafe(this.threshold + SLACK);
    this.length = 0;
    return chunk;
  }
}
