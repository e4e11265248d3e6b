import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { WalCopyRow } from '../catalog/catalog.js';
import { backupPolicy, jobPolicy } from '../copies/policy.js';
import type { WalContext } from './wal-context.js';
import { walKindOf } from './wal-names.js';
import { storedArtifactPath, walArtifact } from './wal-store.js';

/**
 * Acknowledges the longest run of spool files, from the oldest, that are recorded with copies enough for the job's
 * policy (the server may then recycle them), and removes them from the spool with their kept artifacts. Returns the
 * names removed. Nothing is removed when the acknowledgement fails: the next round tries again.
 */
export async function acknowledgeStored(ctx: WalContext, pending: readonly string[]): Promise<string[]> {
  const safe = await safePrefix(ctx, pending);
  const lastSegment = safe.findLast((name) => walKindOf(name) === 'segment');
  if (lastSegment !== undefined) await ctx.wal.acknowledge(lastSegment);
  for (const name of safe) {
    await rm(storedArtifactPath(ctx, walArtifact(ctx, name).key), { force: true });
    await rm(join(ctx.folders.spool, name), { force: true });
  }
  return safe;
}

/** The files of `pending` (in archive order) up to the first one not safe yet. */
async function safePrefix(ctx: WalContext, pending: readonly string[]): Promise<string[]> {
  const { catalog, config } = ctx.session;
  const recorded = new Set(
    (await catalog.walSegments(ctx.job.name, rangeOf(pending))).map((row) => row.name),
  );
  const copies = await catalog.walCopies(ctx.job.name, pending);
  const reachable = jobPolicy(config, ctx.job.name).met;
  const safe: string[] = [];
  for (const name of pending) {
    const own = copies.filter((copy) => copy.name === name);
    if (!recorded.has(name) || !isSafe(ctx, own, reachable)) break;
    safe.push(name);
  }
  return safe;
}

/**
 * The job's policy holds for a file's copies. A job whose destinations cannot meet the policy at all (enforce: warn
 * allows it) needs a verified copy on every one of them instead: otherwise nothing would ever be acknowledged.
 */
function isSafe(ctx: WalContext, copies: readonly WalCopyRow[], reachable: boolean): boolean {
  const counted = copies.map((copy) => ({
    destination: copy.destination,
    status: copy.status === 'verified' ? ('verified' as const) : ('failed' as const),
  }));
  if (reachable) return backupPolicy(counted, ctx.session.config).met;
  const verified = new Set(counted.filter((c) => c.status === 'verified').map((c) => c.destination));
  return ctx.job.destinations.every((name) => verified.has(name));
}

function rangeOf(names: readonly string[]): { from?: string; to?: string } {
  const sorted = [...names].sort();
  return sorted.length === 0 ? { to: '' } : { from: sorted[0] as string, to: sorted.at(-1) as string };
}
