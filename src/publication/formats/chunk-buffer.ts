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
