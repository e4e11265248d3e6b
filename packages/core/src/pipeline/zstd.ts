import type { Duplex } from 'node:stream';
import * as zlib from 'node:zlib';

type ZstdFactory = (options?: { params?: Record<number, number> }) => Duplex;
const native = zlib as unknown as {
  createZstdCompress?: ZstdFactory;
  createZstdDecompress?: ZstdFactory;
  constants: Record<string, number>;
};

/** zstd through Node's zlib (Node 22.15+). */
export function createZstdCompressor(level: number): Duplex {
  if (native.createZstdCompress === undefined) throw zstdUnavailable();
  const levelParam = native.constants.ZSTD_c_compressionLevel as number;
  return native.createZstdCompress({ params: { [levelParam]: level } });
}

export function createZstdDecompressor(): Duplex {
  if (native.createZstdDecompress === undefined) throw zstdUnavailable();
  return native.createZstdDecompress();
}

function zstdUnavailable(): Error {
  return new Error(
    `zstd compression needs Node 22.15 or newer (this is ${process.version}); use gzip or none`,
  );
}
