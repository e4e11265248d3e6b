import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { IntegrityError } from '../util/errors.js';

/** A byte stream's size and SHA-256 (hex): what an artifact is, and what a good copy of it must be. */
export interface Digest {
  readonly size: number;
  readonly sha256: string;
}

/** At most `bytes` may pass: what a stored copy read back may hold (`what` names it in the error). */
export interface ByteLimit {
  readonly bytes: number;
  readonly what: string;
}

/**
 * Passes bytes through unchanged while counting them and computing their SHA-256. With a `limit`, a chunk that
 * would take the count past it fails the stream instead of passing: a store that sends more than the backup has
 * (endlessly, to fill a disk) is stopped there, not when its end is hashed.
 */
export class HashCounter extends Transform {
  readonly #hash: Hash = createHash('sha256');
  readonly #limit: ByteLimit | undefined;
  #bytes = 0;
  #digest: string | undefined;

  constructor(limit?: ByteLimit) {
    super();
    this.#limit = limit;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const limit = this.#limit;
    if (limit !== undefined && this.#bytes + chunk.length > limit.bytes) {
      callback(tooLong(limit));
      return;
    }
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

/** Reads a stream to its end without keeping it, returning its size and SHA-256; past `limit`, fails. */
export async function hashStream(stream: NodeJS.ReadableStream, limit?: ByteLimit): Promise<Digest> {
  const hash = createHash('sha256');
  let size = 0;
  // Leaving the loop early (the throw) destroys the stream.
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (limit !== undefined && size > limit.bytes) throw tooLong(limit);
    hash.update(chunk);
  }
  return { size, sha256: hash.digest('hex') };
}

/** Thrown for a read past its limit. */
export class TooLongError extends IntegrityError {}

function tooLong({ bytes, what }: ByteLimit): TooLongError {
  return new TooLongError(`${what} holds more than the ${bytes} bytes recorded for it: not read further`);
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
