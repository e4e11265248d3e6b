import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

/** A byte stream's size and SHA-256 (hex): what an artifact is, and what a good copy of it must be. */
export interface Digest {
  readonly size: number;
  readonly sha256: string;
}

/** Passes bytes through unchanged while counting them and computing their SHA-256. */
export class HashCounter extends Transform {
  readonly #hash: Hash = createHash('sha256');
  #bytes = 0;
  #digest: string | undefined;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#hash.update(chunk);
    this.#bytes += chunk.length;
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.#digest = this.#hash.digest('hex');
    callback();
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** The hex SHA-256 of everything that passed; only after the stream has ended. */
  get sha256(): string {
    if (this.#digest === undefined) throw new Error('sha256 read before the stream ended');
    return this.#digest;
  }
}

/** Reads a stream to its end without keeping it, returning its size and SHA-256. */
export async function hashStream(stream: NodeJS.ReadableStream): Promise<Digest> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { size, sha256: hash.digest('hex') };
}

/**
 * Passes bytes through and, at their end, fails unless they were exactly `expected` (count and SHA-256): a stream
 * that decodes to anything else never ends well.
 */
export function expectBytes(expected: Digest, what: string): Transform {
  const counter = new HashCounter();
  const check = new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      counter.write(chunk);
      callback(null, chunk);
    },
    flush(callback: TransformCallback) {
      counter.end(() => {
        const { bytes, sha256 } = counter;
        callback(
          bytes === expected.size && sha256 === expected.sha256
            ? null
            : new Error(
                `${what} decodes to ${bytes} bytes (sha256 ${sha256}), not the ${expected.size} bytes (sha256 ${expected.sha256}) the backup proved`,
              ),
        );
      });
    },
  });
  counter.resume();
  return check;
}
