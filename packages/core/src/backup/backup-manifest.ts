import type { Dump, DumpInfo, Source } from '@tricopy/contract';
import type { Expected } from '../copies/copy-check.js';
import type { CopyWriteContext } from '../copy-write/copy-write-context.js';
import { writeManifest } from '../copy-write/manifest-write.js';
import { MANIFEST_VERSION, type Manifest, type RecordedAssertion } from '../manifest/manifest.js';
import type { Artifact } from '../store/backup-artifact.js';
import { type Copy, failedCopy, isVerified } from '../store/backup-copy.js';
import type { RunContext } from '../store/backup-run.js';
import { TRICOPY_VERSION } from '../version.js';

/** What the manifest says about the backup, besides the run itself. */
export interface ManifestFacts {
  readonly source: Source;
  readonly dump: Dump;
  readonly info: DumpInfo;
  readonly artifact: Artifact;
  readonly produced: Expected;
  /** What the artifact decodes to (the source's bytes), proven in the stream. */
  readonly decoded?: Expected | undefined;
  /** The `sameAsBackup` assertions' values, read just before the dump. */
  readonly recorded?: readonly RecordedAssertion[];
}

/**
 * The manifest, written exactly as the facts are: never passed through the redactor (a password that equals a
 * database or table name must not rewrite them). Secrets are kept out by construction: the engine puts none in,
 * and `describe()` and `DumpInfo` are contractually free of them.
 */
export function buildManifest(run: RunContext, facts: ManifestFacts, copies: readonly Copy[]): Manifest {
  const { info, dump, artifact, produced, decoded } = facts;
  return {
    manifestVersion: MANIFEST_VERSION,
    tool: { name: 'tricopy', version: TRICOPY_VERSION },
    job: run.job.name,
    backupId: run.backupId,
    createdAt: run.started.toISOString(),
    finishedAt: run.session.now().toISOString(),
    source: {
      type: run.job.source.type,
      description: facts.source.describe(),
      engine: info.engine,
      engineVersion: info.engineVersion,
      ...(info.toolVersion === undefined ? {} : { toolVersion: info.toolVersion }),
      ...(info.details === undefined ? {} : { details: info.details }),
    },
    artifact: {
      key: artifact.key,
      format: dump.format,
      extension: dump.extension,
      compression: artifact.compression,
      size: produced.size,
      sha256: produced.sha256,
      ...(decoded === undefined ? {} : { decoded: { size: decoded.size, sha256: decoded.sha256 } }),
    },
    ...(info.tables === undefined ? {} : { tables: info.tables }),
    ...(facts.recorded === undefined || facts.recorded.length === 0 ? {} : { assertions: facts.recorded }),
    dumps: 1,
    copies: manifestCopies(copies, artifact.key),
  };
}

export function manifestCopies(copies: readonly Copy[], key: string): Manifest['copies'] {
  return copies.filter(isVerified).map((c) => ({ destination: c.destination, key }));
}

/**
 * The manifests step: the manifest beside every verified copy. A copy whose manifest cannot be written is not kept
 * (its artifact is deleted), nor retried.
 */
export function writeManifests(
  writer: CopyWriteContext,
  copies: readonly Copy[],
  manifest: Manifest,
): Promise<Copy[]> {
  return Promise.all(
    copies.map(async (copy): Promise<Copy> => {
      if (!isVerified(copy)) return copy;
      const failed = await writeManifest(writer, copy.destination, manifest);
      return failed === undefined ? copy : { ...failedCopy(copy, failed), retryable: false };
    }),
  );
}
