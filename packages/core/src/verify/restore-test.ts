import type { TableCount } from '@tricopy/contract';
import type { BackupRow } from '../catalog/catalog.js';
import { decompressed, stageFirstGoodCopy } from '../readback/read-artifact.js';
import { decryptionFor, unsealFacts } from '../readback/restore-decrypt.js';
import type { Session } from '../session/session.js';

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
  skipped: readonly { destination: string; reason: string }[];
}> {
  const source = await session.source(backup.job);
  const decryption = await decryptionFor(session, backup);
  const { staged, copy, skipped } = await stageFirstGoodCopy(session, backup, options.from, decryption);
  options.onCopy?.(copy.destination);
  try {
    const expected =
      decryption === undefined
        ? backup.manifest?.tables
        : (await unsealFacts(decryption, copy.destination)).tables;
    const tables = await source.restoreTest(
      await decompressed(session, backup, { staged, copy, decryption }),
      {
        format: backup.format ?? '',
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      },
    );
    return { destination: copy.destination, tables, expected, skipped };
  } finally {
    await staged.cleanup();
  }
}
