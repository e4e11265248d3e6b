import { createRequire } from 'node:module';
import type { Duplex } from 'node:stream';
import * as zlib from 'node:zlib';
import { childEnv } from '@tricopy/contract';
import { findOnPath } from '@tricopy/plugin-support';

/**
 * execa, loaded the first time the `zstd` program is run (Node without a built-in zstd, or TRICOPY_ZSTD=binary):
 * it costs every other command's start-up about 0.1 s and 20 MiB. require() of an ES module is synchronous from
 * Node 22.12, tricopy's minimum, so the streams stay synchronous too.
 */
const loadExeca = (): typeof import('execa') => createRequire(import.meta.url)('execa');

type ZstdFactory = (options?: { params?: Record<number, number>; chunkSize?: number }) => Duplex;
const native = zlib as unknown as {
  createZstdCompress?: ZstdFactory;
  createZstdDecompress?: ZstdFactory;
  constants: Record<string, number>;
};

/**
 * Where the engine's zstd comes from: Node's zlib (22.15+), else the `zstd` program. On one thread they measured
 * alike on Node 24 (2.3 s and 2.5 s for 250 MiB of pg_dump output); in-process saves two pipe crossings. As the
 * engine's compressor (fed through Node, so the raw dump is proven) they measured alike too (TRICOPY_ZSTD=binary):
 * whole one-destination backups, paired, program over zlib 0.88x, 0.89x and (order swapped) 1.08x CPU, while the
 * program's peak RSS was 12-15 MiB higher (execa); the same command against itself read 1.06x.
 */
export function zstdImplementation(): 'node:zlib' | 'zstd binary' {
  return native.createZstdCompress !== undefined && !forceBinary() ? 'node:zlib' : 'zstd binary';
}

let binaryFound: boolean | undefined;

/** zstd can be used here: Node's zlib has it, or a `zstd` program is on PATH. */
export function zstdAvailable(): boolean {
  if (zstdImplementation() === 'node:zlib') return true;
  binaryFound ??= findOnPath('zstd') !== undefined;
  return binaryFound;
}

export function createZstdCompressor(level: number, chunkSize?: number): Duplex {
  if (zstdImplementation() === 'node:zlib' && native.createZstdCompress !== undefined) {
    const { ZSTD_c_compressionLevel, ZSTD_c_checksumFlag } = native.constants as Record<string, number>;
    // The frame's checksum (as the zstd program writes by default) lets every decompression catch damaged bytes.
    const params = { [ZSTD_c_compressionLevel as number]: level, [ZSTD_c_checksumFlag as number]: 1 };
    return native.createZstdCompress({ params, chunkSize });
  }
  return zstdProcess([`-${level}`, '-T0', '-c', '-q', '--no-progress'], 'compress');
}

/** `inProcess`: Node's zlib wherever it has zstd, even under TRICOPY_ZSTD=binary (the proof decodes apart from the program). */
export function createZstdDecompressor(inProcess = false, chunkSize?: number): Duplex {
  const useZlib = inProcess || zstdImplementation() === 'node:zlib';
  if (useZlib && native.createZstdDecompress !== undefined) {
    return native.createZstdDecompress(chunkSize === undefined ? {} : { chunkSize });
  }
  return zstdProcess(['-d', '-c', '-q', '--no-progress'], 'decompress');
}

/** TRICOPY_ZSTD=binary uses the program even where zlib has zstd (tests and comparisons). */
function forceBinary(): boolean {
  return process.env.TRICOPY_ZSTD === 'binary';
}

/**
 * `zstd` as a child process, stdin → stdout, as one Duplex stream. A missing program, a non-zero exit or a signal
 * destroys the stream with an error that says what to do, so the pipeline (and the backup) fails.
 */
function zstdProcess(args: readonly string[], what: 'compress' | 'decompress'): Duplex {
  const child = loadExeca().execa('zstd', args, {
    // ZSTD_CLEVEL / ZSTD_NBTHREADS from the parent would change the output; secrets must not reach it.
    env: childEnv(),
    extendEnv: false,
    stderr: 'pipe',
    buffer: { stderr: true, stdout: false },
  });
  const stream = child.duplex();
  // The duplex reports execa's own error; rewrite it into one line that names the fix.
  const originalDestroy = stream._destroy.bind(stream);
  stream._destroy = (error, callback) => {
    originalDestroy(error, (final) => callback(final ? explain(final, what) : final));
  };
  child.catch(() => undefined);
  return stream;
}

function explain(error: Error, what: string): Error {
  const e = error as Error & { code?: string; exitCode?: number; stderr?: string; signal?: string };
  if (e.code === 'ENOENT') {
    return new Error(
      `zstd: the zstd program is not installed and this Node (${process.version}) has no built-in zstd: ` +
        'install it (apt-get install zstd) or use compression: gzip',
    );
  }
  const stderr = typeof e.stderr === 'string' ? e.stderr.trim().split('\n').slice(-2).join(' | ') : '';
  if (e.exitCode !== undefined) {
    return new Error(`zstd ${what} failed (exit ${e.exitCode})${stderr ? `: ${stderr}` : ''}`);
  }
  if (e.signal) return new Error(`zstd ${what} was killed by ${e.signal}`);
  return error;
}
