import type { RecoverySettings, RestoreTarget, Source } from '@tricopy/contract';
import type { BackupRow } from '../catalog/catalog.js';
import type { Assertion } from '../config/assertions.js';
import { type AssertionResult, assertionRun } from '../readback/assertions-run.js';
import { backupFacts, decompressed, stageFirstGoodCopy } from '../readback/read-artifact.js';
import { decryptionFor } from '../readback/restore-decrypt.js';
import type { Session } from '../session/session.js';
import { UsageError } from '../util/errors.js';

export interface RestoreResult {
  readonly backupId: string;
  readonly job: string;
  readonly destination: string;
  readonly target: RestoreTarget;
  readonly size: number;
  readonly sha256: string;
  /** Copies tried before the one used, with why they were skipped. */
  readonly skipped: readonly { destination: string; reason: string }[];
  /** The assertions run on the target after the restore (a drill's); absent when none were asked for. */
  readonly assertions?: readonly AssertionResult[];
}

/**
 * Restores a backup from the cheapest good copy (or only from `from`). Bytes are applied only after their sha256 is
 * confirmed; a corrupt or unreachable copy is skipped with a warning and the next one is used.
 */
export async function restoreBackup(
  session: Session,
  backup: BackupRow,
  target: RestoreTarget,
  options: {
    from?: string;
    signal?: AbortSignal;
    globals?: boolean;
    /** Run on the target after the restore (a drill's), before the assertions. */
    postRestoreSql?: readonly string[];
    assertions?: readonly Assertion[];
    /** Recovery settings for a data directory (point-in-time restore). */
    recovery?: RecoverySettings;
  } = {},
): Promise<RestoreResult> {
  const source = await session.source(backup.job);
  checkTargetKind(source, backup.job, target);
  if (options.recovery !== undefined && source.restoreTarget !== 'directory') {
    throw new UsageError(
      `job ${backup.job} restores no data directory: recovery settings do not apply to it`,
    );
  }
  await source.checkRestoreTarget?.(target);
  const decryption = await decryptionFor(session, backup);
  const { staged, copy, skipped } = await stageFirstGoodCopy(session, backup, options.from, decryption);
  let assertions: readonly AssertionResult[] = [];
  try {
    const facts = await backupFacts(backup, decryption, copy.destination);
    const details = facts?.source.details;
    const { inspect, results } = assertionRun(session, options.assertions ?? [], facts?.assertions);
    const postRestoreSql = options.postRestoreSql ?? [];
    await source.restore(await decompressed(session, backup, { staged, copy, decryption }), target, {
      format: backup.format ?? '',
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      ...(options.globals === true ? { globals: true } : {}),
      ...(details === undefined ? {} : { details }),
      ...(postRestoreSql.length === 0 ? {} : { postRestoreSql }),
      ...(inspect === undefined ? {} : { inspect }),
      ...(options.recovery === undefined ? {} : { recovery: options.recovery }),
    });
    assertions = results(source);
  } finally {
    await staged.cleanup();
  }
  return {
    backupId: backup.id,
    job: backup.job,
    destination: copy.destination,
    target,
    size: backup.size ?? 0,
    sha256: backup.sha256 ?? '',
    skipped,
    ...(options.assertions === undefined ? {} : { assertions }),
  };
}

/** The target must be of the kind the source restores to: a file, a database or a data directory. */
function checkTargetKind(source: Source, job: string, target: RestoreTarget): void {
  if (source.restoreTarget === 'file' && target.path === undefined) {
    throw new UsageError(`job ${job} restores to a file: pass --to PATH`);
  }
  if (source.restoreTarget === 'database' && target.database === undefined) {
    throw new UsageError(`job ${job} restores to a database: pass --to-database NAME`);
  }
  if (source.restoreTarget === 'directory' && target.directory === undefined) {
    throw new UsageError(
      `job ${job} restores a PostgreSQL data directory: pass --to DIR (a new or empty folder)`,
    );
  }
}
