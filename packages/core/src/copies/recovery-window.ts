import type { BaseBackup } from './base-backup.js';
import { type ChainCopy, type ChainFile, fetchableFiles, type WalGap, walkWal } from './wal-chain.js';

/** Earliest and latest moments a job's stored base backups and WAL can be recovered to (ISO). */
export interface RecoveryWindow {
  readonly earliest: string;
  readonly latest: string;
}

/** How far a base backup's WAL reaches with no gap, over files a restore can fetch. */
export interface BaseReach {
  readonly base: BaseBackup;
  /** When the newest segment of its continuous chain was stored; the base's stop time when it has none. */
  readonly latest: string;
  readonly firstGap: WalGap | undefined;
  readonly missingHistory: readonly string[];
}

export function baseReach(
  base: BaseBackup,
  files: readonly ChainFile[],
  copies: readonly ChainCopy[],
): BaseReach {
  const walk = walkWal(fetchableFiles(files, copies), base.startWal);
  const stored = walk.chain.at(-1)?.storedAt;
  return {
    base,
    latest: stored !== undefined && stored > base.stopTime ? stored : base.stopTime,
    firstGap: walk.gaps[0],
    missingHistory: walk.missingHistory,
  };
}

/**
 * The window: from the oldest base backup's stop to the newest moment any base backup's continuous WAL reaches
 * (undefined without base backups). Gaps inside it are continuity problems, reported by check and verify.
 */
export function recoveryWindow(
  bases: readonly BaseBackup[],
  files: readonly ChainFile[],
  copies: readonly ChainCopy[],
): RecoveryWindow | undefined {
  if (bases.length === 0) return undefined;
  const earliest = bases.map((b) => b.stopTime).sort()[0] as string;
  const latest = bases
    .map((b) => baseReach(b, files, copies).latest)
    .sort()
    .at(-1) as string;
  return { earliest, latest };
}

/** When the newest WAL file was stored (staleness: WAL stopped arriving); null when none is. */
export function lastWalStoredAt(files: readonly ChainFile[]): string | null {
  return (
    files
      .map((f) => f.storedAt)
      .sort()
      .at(-1) ?? null
  );
}
