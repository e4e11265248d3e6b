import { createReadStream } from 'node:fs';
import { addAbortSignal, type Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { DumpCompression } from '@tricopy/contract';
import { findZstd, startToolPipe, zstdArgs } from '@tricopy/plugin-support';

export interface SnapshotStream {
  readonly stream: Readable;
  /** Set when the `zstd` program reads the snapshot file itself: Node sees only the compressed bytes. */
  readonly compression?: 'zstd';
  /** Settles once the stream has ended or failed; rejects with why the bytes are not the whole snapshot. */
  readonly done: Promise<void>;
}

/**
 * The snapshot file as a stream: read by Node, or, when the engine offers zstd and a `zstd` program is on PATH,
 * compressed by that program straight from the file (with every core), so the raw pages never pass through Node.
 */
export function snapshotStream(
  file: string,
  offer: DumpCompression | undefined,
  signal: AbortSignal | undefined,
): SnapshotStream {
  const program = offer?.codec === 'zstd' ? findZstd() : undefined;
  if (offer === undefined || program === undefined) {
    const stream = createReadStream(file);
    if (signal) addAbortSignal(signal, stream);
    return { stream, done: finished(stream) };
  }
  const pipe = startToolPipe({
    file: program,
    args: [...zstdArgs(offer.level), '--', file],
    env: { PATH: process.env.PATH ?? '' },
    ...(signal === undefined ? {} : { signal }),
  });
  const done = (async () => {
    const [read, exit] = await Promise.all([
      finished(pipe.stdout).catch((error: unknown) => error),
      pipe.tool,
    ]);
    if (pipe.stopped()) throw new Error('the dump was aborted');
    if (exit.exitCode !== 0) {
      const why = exit.error?.message ?? exit.stderr.split('\n').at(-1) ?? '';
      const how = exit.signal ? `was killed by ${exit.signal}` : `failed (exit code ${exit.exitCode})`;
      throw new Error(`zstd, compressing the snapshot, ${how}${why === '' ? '' : `: ${why}`}`);
    }
    if (read !== undefined) throw read;
  })();
  // A reader that stops early (destroy) must not leave zstd running.
  pipe.stdout.once('close', () => {
    if (!pipe.stdout.readableEnded) pipe.kill();
  });
  return { stream: pipe.stdout, compression: 'zstd', done };
}
