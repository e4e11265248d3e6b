import { Readable } from 'node:stream';
import { type Dump, type DumpInfo, isRetryable, type Source } from '@tricopy/contract';
import type { Expected } from '../copies/copy-check.js';
import { MANIFEST_VERSION, type Manifest, manifestKey } from '../manifest/manifest.js';
import { describeError } from '../util/errors.js';
import { TRICOPY_VERSION } from '../version.js';
import { type Copy, failedCopy, isVerified, type VerifiedCopy } from './backup-copy.js';
import type { RunContext } from './backup-run.js';
import type { Artifact } from './backup-stream.js';

/** What the manifest says about the backup, besides the run itself. */
export interface ManifestFacts {
  readonly source: Source;
  readonly dump: Dump;
  readonly info: DumpInfo;
  readonly artifact: Artifact;
  readonly produced: Expected;
  /** What the artifact decodes to (the source's bytes), proven in the stream. */
  readonly decoded?: Expected | undefined;
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
    dumps: 1,
    copies: manifestCopies(copies, artifact.key),
  };
}

export function manifestCopies(copies: readonly Copy[], key: string): Manifest['copies'] {
  return copies.filter(isVerified).map((c) => ({ destination: c.destination, key }));
}

/**
 * The manifests step: the manifest beside every verified copy. A copy whose manifest cannot be written is not kept:
 * its artifact is deleted (an artifact without a manifest is never listed, restored or pruned).
 */
export function writeManifests(
  run: RunContext,
  copies: readonly Copy[],
  manifest: Manifest,
): Promise<Copy[]> {
  return Promise.all(copies.map((copy) => (isVerified(copy) ? writeManifest(run, copy, manifest) : copy)));
}

async function writeManifest(run: RunContext, copy: VerifiedCopy, manifest: Manifest): Promise<Copy> {
  const { session } = run;
  const body = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
  const key = manifestKey(manifest.job, manifest.backupId);
  let lastError: unknown;
  for (let attempt = 0; attempt <= session.config.retries.attempts; attempt++) {
    try {
      const destination = await session.destination(copy.destination);
      const put = await destination.put(key, Readable.from([body]), { signal: run.signal });
      const stat = await destination.stat(key);
      if (put.size === body.length && stat?.size === body.length) return copy;
      lastError = new Error(`manifest stored with ${stat?.size ?? put.size} bytes instead of ${body.length}`);
    } catch (error) {
      lastError = error;
      await session.forgetDestination(copy.destination);
      if (!isRetryable(error)) break;
    }
    if (run.signal.aborted) break;
  }
  const failed = failedCopy(copy, `the manifest could not be written: ${describeError(lastError)}`);
  session.logger.error(
    `job ${run.job.name}: destination ${copy.destination}: ${session.redact(failed.error)}`,
  );
  await removeQuietly(run, copy.destination, [manifest.artifact.key, key]);
  return { ...failed, retryable: false };
}

async function removeQuietly(
  run: RunContext,
  destinationName: string,
  keys: readonly string[],
): Promise<void> {
  try {
    const destination = await run.session.destination(destinationName);
    for (const key of keys) await destination.delete(key);
  } catch (error) {
    run.session.logger.debug(`cleanup on ${destinationName}: ${describeError(error)}`);
  }
}
