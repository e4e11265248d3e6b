/**
 * Collects incoming buffers and hands them out in pieces of exactly `size` bytes, keeping back at least one byte
 * past the last full piece until the input ends (age's last-chunk flag needs to know which chunk is the last).
 */
export class Chunker {
  readonly #size: number;
  #parts: Buffer[] = [];
  #length = 0;

  constructor(size: number) {
    this.#size = size;
  }

  get length(): number {
    return this.#length;
  }

  push(data: Buffer): void {
    if (data.length === 0) return;
    this.#parts.push(data);
    this.#length += data.length;
  }

  /** Full pieces that are known not to be the last one. */
  *takeFull(): Generator<Buffer> {
    while (this.#length > this.#size) yield this.take(this.#size);
  }

  /** The first `count` bytes (the caller checks that they are there), copied only when they span several buffers. */
  take(count: number): Buffer {
    const first = this.#parts[0];
    if (first !== undefined && first.length >= count) return this.#takeFromFirst(first, count);
    const piece = Buffer.allocUnsafe(count);
    for (let filled = 0; filled < count; ) {
      const part = this.#parts[0] as Buffer;
      const bytes = Math.min(part.length, count - filled);
      part.copy(piece, filled, 0, bytes);
      this.#takeFromFirst(part, bytes);
      filled += bytes;
    }
    return piece;
  }

  #takeFromFirst(first: Buffer, count: number): Buffer {
    if (first.length === count) this.#parts.shift();
    else this.#parts[0] = first.subarray(count);
    this.#length -= count;
    return first.subarray(0, count);
  }

  /** Everything still held. */
  rest(): Buffer {
    return this.take(this.#length);
  }

  /** The bytes held, without taking them. */
  peek(): Buffer {
    if (this.#parts.length > 1) this.#parts = [Buffer.concat(this.#parts)];
    return this.#parts[0] ?? Buffer.alloc(0);
  }
}
