import { availableParallelism } from 'node:os';
import type { Duplex } from 'node:stream';
import * as zlib from 'node:zlib';
import { childEnv } from '@tricopy/contract';
import { findOnPath } from '@tricopy/plugin-support';
import { type FilterExit, filterProgram } from './program-stream.js';

type ZstdFactory = (options?: { params?: Record<number, number>; chunkSize?: number }) => Duplex;
const native = zlib as unknown as {
  createZstdCompress?: ZstdFactory;
  createZstdDecompress?: ZstdFactory;
  constants: Record<string, number>;
};

/**
 * Who compresses: the `zstd` program where it is on PATH, else Node's zlib (22.15+). The program compresses in its
 * multithreaded mode, apart from Node's event loop; Node's zlib has only zstd's single-threaded streaming mode, whose
 * wrapped window takes its slower path: on a 2-core machine, a 436 MB pg_dump took 2.4–2.8 s of CPU in `zstd -T1`,
 * 3.4–3.6 s in `zstd --single-thread` and 3.3–3.8 s in Node, and whole backups to one folder ran 7.3 s against 9.4 s.
 * TRICOPY_ZSTD=program (or binary) insists on the program, TRICOPY_ZSTD=node on Node's zlib.
 */
export function zstdCompressor(): 'node:zlib' | 'zstd program' {
  const forced = process.env.TRICOPY_ZSTD;
  if (forced === 'program' || forced === 'binary' || native.createZstdCompress === undefined)
    return 'zstd program';
  if (forced === 'node') return 'node:zlib';
  return findOnPath('zstd') === undefined ? 'node:zlib' : 'zstd program';
}

/** zstd can be used here: Node's zlib has it, or a `zstd` program is on PATH. */
export function zstdAvailable(): boolean {
  return native.createZstdCompress !== undefined || findOnPath('zstd') !== undefined;
}

/**
 * The program's worker threads: every core but one, which the engine keeps for hashing and the proof's decoding (on
 * 2 cores, -T1 ran whole backups in 7.3–7.5 s, -T0 in 8.0–8.2 s), and at most 4: each holds its own jobs' buffers,
 * and more than that would outrun the dump tools' own output.
 */
export function zstdThreads(): number {
  return Math.min(4, Math.max(1, availableParallelism() - 1));
}

/**
 * 2 MiB jobs (`-B2MiB`) instead of zstd's default 8 MiB for level 3: the program then holds 13 MiB instead of 39 MiB
 * (436 MB of pg_dump output, -T1: the same CPU within 5 %, a 0.5 % smaller output).
 */
const JOB_SIZE = '-B2MiB';

export function createZstdCompressor(level: number, chunkSize?: number): Duplex {
  if (zstdCompressor() === 'node:zlib' && native.createZstdCompress !== undefined) {
    const { ZSTD_c_compressionLevel, ZSTD_c_checksumFlag } = native.constants as Record<string, number>;
    // The frame's checksum (as the zstd program writes by default) lets every decompression catch damaged bytes.
    const params = { [ZSTD_c_compressionLevel as number]: level, [ZSTD_c_checksumFlag as number]: 1 };
    return native.createZstdCompress({ params, chunkSize });
  }
  return zstdProcess([`-${level}`, `-T${zstdThreads()}`, JOB_SIZE, '-c', '-q', '--no-progress'], 'compress');
}

/**
 * Decompression stays in Node wherever its zlib has zstd (restores read through Node anyway); the program only under
 * TRICOPY_ZSTD=program. `inProcess`: Node's zlib even then (the proof decodes apart from the compressing program).
 */
export function createZstdDecompressor(inProcess = false, chunkSize?: number): Duplex {
  const forced = process.env.TRICOPY_ZSTD === 'program' || process.env.TRICOPY_ZSTD === 'binary';
  const useZlib = inProcess || !forced;
  if (useZlib && native.createZstdDecompress !== undefined) {
    return native.createZstdDecompress(chunkSize === undefined ? {} : { chunkSize });
  }
  return zstdProcess(['-d', '-c', '-q', '--no-progress'], 'decompress');
}

/**
 * `zstd` as a child process, stdin → stdout, as one Duplex stream, with a minimal environment: ZSTD_CLEVEL /
 * ZSTD_NBTHREADS from the parent would change the output, and secrets must not reach it. A missing program, a
 * non-zero exit or a signal destroys the stream with an error that says what to do, so the pipeline (and the backup)
 * fails.
 */
function zstdProcess(args: readonly string[], what: 'compress' | 'decompress'): Duplex {
  return filterProgram('zstd', args, childEnv(), (exit) => explain(exit, what));
}

function explain(exit: FilterExit, what: string): Error {
  if ((exit.error as { code?: string } | undefined)?.code === 'ENOENT') {
    const why =
      native.createZstdCompress === undefined
        ? `this Node (${process.version}) has no built-in zstd`
        : "TRICOPY_ZSTD asks for it (unset it to use Node's own)";
    return new Error(
      `zstd: the zstd program is not installed and ${why}: install it (apt-get install zstd) or use compression: gzip`,
    );
  }
  const stderr = exit.stderr.split('\n').slice(-2).join(' | ');
  const detail = stderr === '' ? '' : `: ${stderr}`;
  if (exit.signal !== null) return new Error(`zstd ${what} was killed by ${exit.signal}${detail}`);
  if (exit.code !== 0 && exit.code !== null)
    return new Error(`zstd ${what} failed (exit ${exit.code})${detail}`);
  return new Error(`zstd ${what} failed: ${exit.error?.message ?? 'unknown error'}${detail}`);
}
