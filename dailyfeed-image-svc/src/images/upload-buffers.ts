/**
 * Reusable buffers for upload bodies. sharp needs the whole compressed file in one buffer;
 * allocating a fresh one per upload (what `part.toBuffer()` does: chunks, then a concat) costs
 * more than the copy: every megabyte allocated outside the V8 heap counts towards the
 * external-memory pressure that triggers full (mark-compact) collections, and with a 2 MB photo
 * those were the largest single cost of the service path (bench/uploads.ts, see README). A
 * buffer is taken per upload and given back when the pipeline is done with it, so a steady
 * stream of uploads allocates nothing.
 *
 * Bounded: at most `maxPooled` buffers of at most `maxPooledBytes` each are kept; larger uploads
 * get a buffer of their own that is simply dropped afterwards.
 */
import type { Readable } from 'node:stream';

/** Sizes are rounded up to this: slightly different sizes of the same kind of upload share buffers. */
const GRAIN = 256 * 1024;
const rounded = (bytes: number) => Math.max(1, Math.ceil(bytes / GRAIN)) * GRAIN;

export class UploadBuffers {
  private readonly free: Buffer[] = [];

  constructor(private readonly options: { maxPooled: number; maxPooledBytes: number }) {}

  /** Buffers kept for reuse right now, and their bytes (for tests and the metrics). */
  get retained(): { buffers: number; bytes: number } {
    return { buffers: this.free.length, bytes: this.free.reduce((sum, buffer) => sum + buffer.length, 0) };
  }

  acquire(minBytes: number): Buffer {
    const index = this.free.findIndex((buffer) => buffer.length >= minBytes);
    if (index >= 0) return this.free.splice(index, 1)[0]!;
    // allocUnsafeSlow: never carved from Node's shared pool. Unzeroed is safe: callers only
    // ever see the range an upload wrote, never a previous upload's bytes past it.
    return Buffer.allocUnsafeSlow(rounded(minBytes));
  }

  release(buffer: Buffer): void {
    if (buffer.length > this.options.maxPooledBytes) return;
    if (this.free.length < this.options.maxPooled) {
      this.free.push(buffer);
      return;
    }
    // Full: keep the larger buffers, which serve every smaller upload too.
    let smallest = 0;
    for (let i = 1; i < this.free.length; i += 1) if (this.free[i]!.length < this.free[smallest]!.length) smallest = i;
    if (this.free[smallest]!.length < buffer.length) this.free[smallest] = buffer;
  }

  /**
   * Reads a stream of at most `maxBytes` (the caller's limit, enforced upstream) into a pooled
   * buffer sized for `expectedBytes`, grown by doubling when that guess was short. Answers the
   * buffer to release once its bytes are no longer used, and the written range.
   */
  async read(stream: Readable, expectedBytes: number, maxBytes: number): Promise<{ buffer: Buffer; data: Buffer }> {
    // The first guess never exceeds a poolable size: a declared length is only a claim, and a
    // rare bigger upload pays a copy or two while growing instead.
    let buffer = this.acquire(Math.min(expectedBytes, maxBytes, this.options.maxPooledBytes));
    let length = 0;
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        if (length + chunk.length > buffer.length) {
          const bigger = this.acquire(Math.max(Math.min(buffer.length * 2, maxBytes), length + chunk.length));
          buffer.copy(bigger, 0, 0, length);
          this.release(buffer);
          buffer = bigger;
        }
        chunk.copy(buffer, length);
        length += chunk.length;
      }
    } catch (error) {
      this.release(buffer);
      throw error;
    }
    return { buffer, data: buffer.subarray(0, length) };
  }
}
