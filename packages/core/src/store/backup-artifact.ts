import type { Dump } from '@tricopy/contract';
import { backupPrefix } from '../manifest/manifest.js';
import { COMPRESSION_SUFFIX, type CompressionKind, chooseCompression } from '../pipeline/compression.js';
import type { RunContext } from './backup-run.js';

/** The stored file of one backup: its key on every destination and how its bytes are encoded. */
export interface Artifact {
  readonly key: string;
  readonly compression: CompressionKind;
  /** The source compressed the stream itself (it took up the engine's offer): the engine does not compress it. */
  readonly compressedBySource?: boolean;
  /** age recipients the artifact is encrypted to; none when it is stored as plaintext. */
  readonly recipients?: readonly string[];
}

/** Names the artifact once the dump has said what it is (its extension, whether it is compressed already). */
export function artifactOf(run: RunContext, dump: Dump): Artifact {
  const bySource = dump.compression !== undefined;
  const compression = dump.compression ?? chooseCompression(run.job.compression, dump.compressed === true);
  const recipients = run.job.encryption?.recipients;
  const name = `${run.job.name}.${dump.extension}${COMPRESSION_SUFFIX[compression]}${recipients ? '.age' : ''}`;
  return {
    key: `${backupPrefix(run.job.name, run.backupId)}${name}`,
    compression,
    compressedBySource: bySource,
    ...(recipients === undefined ? {} : { recipients }),
  };
}
