import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';

const CHUNK = 64 * 1024;

/** A body of `size` random bytes, generated chunk by chunk, plus its sha256 once fully read. */
export interface RandomBody {
  readonly stream: Readable;
  readonly size: number;
  /** sha256 (hex) of every byte the stream produced; valid after the stream ended. */
  readonly sha256: () => string;
}

export function randomBody(size: number): RandomBody {
  const hash = createHash('sha256');
  let produced = 0;
  let digest: string | undefined;
  const stream = new Readable({
    read() {
      if (produced >= size) {
        this.push(null);
        return;
      }
      const chunk = randomBytes(Math.min(CHUNK, size - produced));
      produced += chunk.length;
      hash.update(chunk);
      this.push(chunk);
    },
  });
  return {
    stream,
    size,
    sha256: () => {
      if (produced < size) throw new Error(`randomBody: only ${produced} of ${size} bytes were read`);
      digest ??= hash.digest('hex');
      return digest;
    },
  };
}

/** A body that is exactly `bytes` (small, known content). */
export function bufferBody(bytes: Buffer): Readable {
  return Readable.from([bytes]);
}

/** A body that emits `bytesBeforeError` random bytes, then fails with `error`. */
export function failingBody(
  bytesBeforeError: number,
  error = new Error('testkit: body failed on purpose'),
): Readable {
  let produced = 0;
  return new Readable({
    read() {
      if (produced >= bytesBeforeError) {
        // Fail asynchronously, as a real network or pipe error would.
        setImmediate(() => this.destroy(error));
        return;
      }
      const chunk = randomBytes(Math.min(CHUNK, bytesBeforeError - produced));
      produced += chunk.length;
      this.push(chunk);
    },
  });
}

/**
 * A body that never ends by itself (up to `limit` bytes) and calls `onBytes` as it is read, so a test can
 * abort a put in the middle.
 */
export function endlessBody(onBytes: (total: number) => void, limit = 1024 * 1024 * 1024): Readable {
  let produced = 0;
  return new Readable({
    read() {
      if (produced >= limit) {
        this.push(null);
        return;
      }
      const chunk = randomBytes(CHUNK);
      produced += chunk.length;
      this.push(chunk);
      onBytes(produced);
    },
  });
}

/** sha256 (hex) and byte count of a stream, read to the end without holding it in memory. */
export async function hashStream(stream: Readable): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer | string>) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += buffer.length;
    hash.update(buffer);
  }
  return { sha256: hash.digest('hex'), size };
}

/** Reads a (small) stream into a Buffer. */
export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer | string>) {
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  }
  return Buffer.concat(chunks);
}

export function sha256Hex(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Reads a stream to the end and ignores its content and errors. */
export async function drain(stream: Readable): Promise<void> {
  try {
    for await (const _ of stream as AsyncIterable<unknown>) {
      // discard
    }
  } catch {
    // the caller checks the error through another channel (e.g. Dump.completion)
  }
}
