import { Readable } from 'node:stream';
import { isRetryable } from '@tricopy/contract';
import { type Manifest, manifestKey } from '../manifest/manifest.js';
import { describeError } from '../util/errors.js';
import type { CopyWriteContext } from './copy-write-context.js';

/**
 * The manifest beside a verified copy. A copy whose manifest cannot be written is not kept: its artifact is deleted
 * (an artifact without a manifest is never listed, restored or pruned). Returns why it failed, or undefined.
 */
export async function writeManifest(
  ctx: CopyWriteContext,
  destinationName: string,
  manifest: Manifest,
): Promise<string | undefined> {
  const body = manifestBody(manifest);
  const key = manifestKey(manifest.job, manifest.backupId);
  let lastError: unknown;
  for (let attempt = 0; attempt <= ctx.limits.retries.attempts; attempt++) {
    try {
      const destination = await ctx.destinations.open(destinationName);
      const put = await destination.put(key, Readable.from([body]), { signal: ctx.signal });
      const stat = await destination.stat(key);
      if (put.size === body.length && stat?.size === body.length) return undefined;
      lastError = new Error(`manifest stored with ${stat?.size ?? put.size} bytes instead of ${body.length}`);
    } catch (error) {
      lastError = error;
      await ctx.destinations.forget(destinationName);
      if (!isRetryable(error)) break;
    }
    if (ctx.signal.aborted) break;
  }
  const why = `the manifest could not be written: ${describeError(lastError)}`;
  ctx.logger.error(`${ctx.label}: destination ${destinationName}: ${ctx.redact(why)}`);
  await removeQuietly(ctx, destinationName, [manifest.artifact.key, key]);
  return why;
}

/** Best effort: a good copy's manifest rewritten to list the new copies too (a catalog rebuild finds them). */
export async function refreshManifest(
  ctx: CopyWriteContext,
  name: string,
  manifest: Manifest,
): Promise<void> {
  try {
    const destination = await ctx.destinations.open(name);
    await destination.put(
      manifestKey(manifest.job, manifest.backupId),
      Readable.from([manifestBody(manifest)]),
      {
        signal: ctx.signal,
      },
    );
  } catch (error) {
    ctx.logger.warn(
      `backup ${manifest.backupId}: the manifest on ${name} still lists the old copies: ${ctx.redact(describeError(error))}`,
    );
  }
}

function manifestBody(manifest: Manifest): Buffer {
  return Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
}

async function removeQuietly(
  ctx: CopyWriteContext,
  destinationName: string,
  keys: readonly string[],
): Promise<void> {
  try {
    const destination = await ctx.destinations.open(destinationName);
    for (const key of keys) await destination.delete(key);
  } catch (error) {
    ctx.logger.debug(`cleanup on ${destinationName}: ${describeError(error)}`);
  }
}
