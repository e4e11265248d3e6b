import type { TableCount } from '@tricopy/contract';
import type { BackupRow } from '../catalog/catalog.js';
import { type AssertionResult, assertionRun } from '../readback/assertions-run.js';
import { backupFacts, decompressed, stageFirstGoodCopy } from '../readback/read-artifact.js';
import { decryptionFor } from '../readback/restore-decrypt.js';
import type { Session } from '../session/session.js';

export interface RestoreTestVerification {
  readonly backupId: string;
  readonly job: string;
  readonly destination?: string;
  readonly status: 'ok' | 'mismatch' | 'failed' | 'error';
  readonly tables: readonly { name: string; expected?: number; actual?: number; exact: boolean }[];
  /** The job's assertions as run on the restored data; one that failed fails the test (status 'failed'). */
  readonly assertions?: readonly AssertionResult[];
  readonly error?: string;
}

/** Restores into a scratch target through the source plugin and returns its per-table counts. */
export async function restoreTestBackup(
  session: Session,
  backup: BackupRow,
  options: {
    from?: string;
    signal?: AbortSignal;
    /** Told which copy is used once it is chosen, so that a test that fails after can say which copy it read. */
    onCopy?: (destination: string) => void;
  } = {},
): Promise<{
  destination: string;
  tables: readonly TableCount[];
  /** The table counts recorded at backup time (sealed in the manifest of an encrypted backup). */
  expected: readonly TableCount[] | undefined;
  /** The job's assertions, as run on the restored data (none when it has none). */
  assertions: readonly AssertionResult[];
  skipped: readonly { destination: string; reason: string }[];
}> {
  const source = await session.source(backup.job);
  const decryption = await decryptionFor(session, backup);
  const { staged, copy, skipped } = await stageFirstGoodCopy(session, backup, options.from, decryption);
  options.onCopy?.(copy.destination);
  try {
    const facts = await backupFacts(backup, decryption, copy.destination);
    const assertions = session.config.jobs.get(backup.job)?.assertions ?? [];
    const { inspect, results } = assertionRun(session, assertions, facts?.assertions);
    const tables = await source.restoreTest(
      await decompressed(session, backup, { staged, copy, decryption }),
      {
        format: backup.format ?? '',
        ...(options.signal === undefined ? {} : { signal: options.signal }),
        ...(inspect === undefined ? {} : { inspect }),
      },
    );
    return {
      destination: copy.destination,
      tables,
      expected: facts?.tables,
      assertions: results(source),
      skipped,
    };
  } finally {
    await staged.cleanup();
  }
}
