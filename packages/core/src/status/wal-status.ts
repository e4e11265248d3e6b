import type { Catalog } from '../catalog/catalog.js';
import type { LoadedConfig } from '../config/load.js';
import { jobBases, jobWal } from '../copies/job-wal.js';
import { lastWalStoredAt, type RecoveryWindow, recoveryWindow } from '../copies/recovery-window.js';
import { parseDuration } from '../util/duration.js';

/** A PostgreSQL job's point-in-time recovery status: its window, and whether WAL still arrives. */
export interface WalStatus {
  /** Earliest and latest recoverable moments; null while it has no base backup. */
  readonly window: RecoveryWindow | null;
  readonly windowSeconds: number | null;
  /** When the newest WAL file was stored; null when none is. */
  readonly lastStoredAt: string | null;
  /**
   * How long WAL may take to arrive before the job is stale: 2 × the source's wal.switchAfter, else 1 hour; null
   * when the source no longer archives WAL (what is stored is still reported).
   */
  readonly staleAfterMs: number | null;
  readonly stale: boolean;
}

const HOUR = 3_600_000;

/** The job's WAL status; null for a job that neither archives WAL nor has any stored (a dump job). */
export async function walStatus(
  sources: { readonly catalog: Catalog; readonly config: LoadedConfig },
  job: string,
  now: Date,
): Promise<WalStatus | null> {
  const staleAfterMs = walStaleAfter(sources.config.jobs.get(job)?.source.options);
  const bases = await jobBases(sources.catalog, job);
  if (staleAfterMs === undefined && bases.length === 0) return null;
  const { files, copies } = await jobWal(sources.catalog, job);
  if (staleAfterMs === undefined && files.length === 0) return null;
  const window = recoveryWindow(bases, files, copies) ?? null;
  const lastStoredAt = lastWalStoredAt(files);
  const since = staleAfterMs === undefined ? undefined : (lastStoredAt ?? window?.earliest);
  return {
    window,
    windowSeconds: window === null ? null : (Date.parse(window.latest) - Date.parse(window.earliest)) / 1000,
    lastStoredAt,
    staleAfterMs: staleAfterMs ?? null,
    stale: since !== undefined && now.getTime() - Date.parse(since) > (staleAfterMs as number),
  };
}

/**
 * Twice the source's `wal.switchAfter` (the longest a closed segment should wait), else an hour; undefined when
 * the source archives no WAL. The only source option core reads: the PostgreSQL plugin's `wal`, as the design
 * names it.
 */
function walStaleAfter(options: unknown): number | undefined {
  const wal = (options as { wal?: unknown } | undefined)?.wal;
  if (wal !== true && (typeof wal !== 'object' || wal === null)) return undefined;
  const switchAfter = wal === true ? undefined : (wal as { switchAfter?: unknown }).switchAfter;
  const ms =
    typeof switchAfter === 'string' || typeof switchAfter === 'number'
      ? parseDuration(switchAfter)
      : undefined;
  return ms === undefined ? HOUR : 2 * ms;
}
