import { existsSync } from 'node:fs';
import type { WalCopyRow, WalSegmentRow } from '../catalog/catalog.js';
import { type CopyWriteContext, copyWriteContext } from '../copy-write/copy-write-context.js';
import { rewriteCopy } from '../copy-write/rewrite-copy.js';
import { rankByCost } from '../session/rank-by-cost.js';
import type { WalContext } from './wal-context.js';
import { storedArtifactPath } from './wal-store.js';

/** A copy written again, or that could not be. */
export interface CaughtUp {
  readonly name: string;
  readonly destination: string;
  readonly ok: boolean;
  readonly error?: string;
}

/**
 * Writes every WAL file a destination of the job lacks (failed, missing, never written) again from a good copy:
 * the stored artifact kept beside the spool while it is there, else another destination's verified copy, hashed on
 * the way, never from the server. A destination that fails one file is left for the next round. `complete`: no
 * destination of the job lacked a copy of any file when the round began, so the next round may wait for news.
 */
export async function catchUpWal(ctx: WalContext): Promise<{ done: CaughtUp[]; complete: boolean }> {
  const { catalog } = ctx.session;
  const segments = await catalog.walSegments(ctx.job.name);
  const copies = groupByName(await catalog.walCopies(ctx.job.name));
  const down = new Set<string>();
  const done: CaughtUp[] = [];
  let complete = true;
  for (const segment of segments) {
    if (ctx.signal.aborted) return { done, complete: false };
    const have = copies.get(segment.name) ?? [];
    const verified = have.filter((copy) => copy.status === 'verified').map((copy) => copy.destination);
    const missing = ctx.job.destinations.filter((name) => !verified.includes(name));
    if (missing.length > 0) complete = false;
    const lacking = missing.filter((name) => !down.has(name));
    if (lacking.length === 0 || (verified.length === 0 && !hasStored(ctx, segment))) continue;
    for (const destination of lacking) {
      const result = await writeAgain(ctx, segment, destination, verified);
      done.push(result);
      if (!result.ok) down.add(destination);
    }
  }
  return { done, complete };
}

async function writeAgain(
  ctx: WalContext,
  segment: WalSegmentRow,
  destination: string,
  verified: readonly string[],
): Promise<CaughtUp> {
  const candidates = (
    await rankByCost(
      ctx.session,
      verified.map((name) => ({ destination: name })),
    )
  ).map((copy) => copy.destination);
  const spoolPath = storedArtifactPath(ctx, segment.key);
  const result = await rewriteCopy(writerOf(ctx, segment), {
    destination,
    candidates,
    ...(existsSync(spoolPath) ? { spoolPath } : {}),
  });
  const ok = result.verified !== undefined;
  await ctx.session.catalog.recordWalCopy({
    job: segment.job,
    name: segment.name,
    destination,
    status: ok ? 'verified' : 'failed',
    ...(ok || result.error === undefined ? {} : { error: result.error }),
  });
  for (const bad of result.badSources) {
    await ctx.session.catalog.recordWalCopy({
      job: segment.job,
      name: segment.name,
      destination: bad,
      status: 'failed',
      error: 'read back, it does not match the catalog',
    });
  }
  return {
    name: segment.name,
    destination,
    ok,
    ...(result.error === undefined ? {} : { error: result.error }),
  };
}

function writerOf(ctx: WalContext, segment: WalSegmentRow): CopyWriteContext {
  const writer = copyWriteContext(ctx.session, {
    job: ctx.job.name,
    backupId: segment.name,
    key: segment.key,
    expected: { size: segment.size, sha256: segment.sha256 },
    signal: ctx.signal,
  });
  // WAL copies are recorded as WAL copies (the caller does), not in the backups' verification log.
  return { ...writer, label: `job ${ctx.job.name} WAL ${segment.name}`, recordCheck: async () => {} };
}

function hasStored(ctx: WalContext, segment: WalSegmentRow): boolean {
  return existsSync(storedArtifactPath(ctx, segment.key));
}

function groupByName(copies: readonly WalCopyRow[]): Map<string, WalCopyRow[]> {
  const byName = new Map<string, WalCopyRow[]>();
  for (const copy of copies) byName.set(copy.name, [...(byName.get(copy.name) ?? []), copy]);
  return byName;
}
