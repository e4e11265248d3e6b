// Faults a stream suffers between two stages of a backup, injected through the engine's test seam
// (Session.tapStage): the bytes from an offset on cut off, a piece dropped, or a byte flipped. The stream still ends
// well, as a stage that loses data without noticing would.
import { Transform, type TransformCallback } from 'node:stream';

export type FaultKind = 'truncate' | 'drop' | 'corrupt';

/** How many bytes a `drop` fault leaves out. */
export const DROPPED_BYTES = 4096;

export interface Fault {
  readonly stream: Transform;
  /** True once the fault hit the stream (it was long enough to reach the offset). */
  readonly fired: () => boolean;
}

export function streamFault(kind: FaultKind, offset: number): Fault {
  let position = 0;
  let fired = false;
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      const start = position;
      position += chunk.length;
      const at = offset - start;
      if (kind === 'truncate') {
        if (at < chunk.length) fired = true;
        return callback(null, at <= 0 ? undefined : chunk.subarray(0, at));
      }
      if (kind === 'corrupt') {
        if (at < 0 || at >= chunk.length) return callback(null, chunk);
        fired = true;
        const copy = Buffer.from(chunk);
        copy[at] = (copy[at] as number) ^ 0xff;
        return callback(null, copy);
      }
      return callback(
        null,
        dropFrom(chunk, start, offset, () => (fired = true)),
      );
    },
  });
  return { stream, fired: () => fired };
}

/** The chunk (which starts at `start`) without the bytes of [offset, offset + DROPPED_BYTES). */
function dropFrom(chunk: Buffer, start: number, offset: number, hit: () => void): Buffer {
  const from = Math.max(0, offset - start);
  const to = Math.min(chunk.length, offset + DROPPED_BYTES - start);
  if (from >= to) return chunk;
  hit();
  return Buffer.concat([chunk.subarray(0, from), chunk.subarray(to)]);
}
