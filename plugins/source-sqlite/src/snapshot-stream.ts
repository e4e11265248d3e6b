import { createReadStream } from 'node:fs';
import { addAbortSignal, type Readable } from 'node:stream';
import { finished } from 'node:stream/promises';

export interface SnapshotStream {
  readonly stream: Readable;
  /** Settles once the stream has ended or failed; rejects with why the bytes are not the whole snapshot. */
  readonly done: Promise<void>;
}

/**
 * The snapshot file as a stream, read by Node. The engine's compression offer is not taken up: the engine compresses
 * and proves every byte the source produced, which it cannot do for bytes it never sees.
 */
export function snapshotStream(file: string, signal: AbortSignal | undefined): SnapshotStream {
  const stream = createReadStream(file);
  if (signal) addAbortSignal(signal, stream);
  return { stream, done: finished(stream) };
}
