/**
 * A growable byte buffer that serialized pieces are appended to. Not part of the public API.
 * @packageDocumentation
 */

export class ByteSink {
  /** Backing store; only the first `length` bytes are meaningful. Replaced when it grows. */
  bytes: Buffer;
  length = 0;

  constructor(initialCapacity: number) {
    this.bytes = Buffer.allocUnsafe(initialCapacity);
  }

  /** Makes room for `extra` more bytes after `length` and returns the (possibly new) backing store. */
  reserve(extra: number): Buffer {
    const needed = this.length + extra;
    if (needed > this.bytes.length) {
      const grown = Buffer.allocUnsafe(Math.max(needed, this.bytes.length * 2));
      this.bytes.copy(grown, 0, 0, this.length);
      this.bytes = grown;
    }
    return this.bytes;
  }

  /** Empties the sink, keeping its capacity. */
  clear(): void {
    this.length = 0;
  }

  /** Copies the content into `target` at `offset`; returns the offset after it. */
  copyTo(target: Buffer, offset: number): number {
    return offset + this.bytes.copy(target, offset, 0, this.length);
  }
}
