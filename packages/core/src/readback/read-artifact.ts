import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { BackupRow, CopyRow } from '../catalog/catalog.js';
import type { SealedFacts } from '../manifest/manifest.js';
import { type CompressionKind, createDecompressor } from '../pipeline/compression.js';
import { expectBytes } from '../pipeline/hash-counter.js';
import type { Session } from '../session/session.js';
import { describeError, UsageError } from '../util/errors.js';
import { checkDecrypts, type Decryption, decryptStream, unsealFacts } from './restore-decrypt.js';
import { rankCopies, usableCopies } from './select.js';
import { type StagedCopy, stageCopy } from './stage.js';

/**
 * Reading a backup back, as restore and the restore test do: the first good copy staged and its sha256 confirmed,
 * then decrypted and decompressed, and checked against what the backup proved its artifact decodes to.
 */

/** What the manifest says of the source (unsealed for an encrypted backup): details, tables, recorded assertions. */
export async function backupFacts(
  backup: BackupRow,
  decryption: Decryption | undefined,
  where: string,
): Promise<SealedFacts | undefined> {
  return decryption === undefined ? (backup.manifest ?? undefined) : await unsealFacts(decryption, where);
}

/** A staged copy that has been checked, ready to be read for a restore. */
export interface ReadyCopy {
  readonly staged: StagedCopy;
  readonly copy: CopyRow;
  readonly decryption: Decryption | undefined;
}

export async function decompressed(
  session: Session,
  backup: BackupRow,
  { staged, copy, decryption }: ReadyCopy,
): Promise<Readable> {
  const read = { backupId: backup.id, destination: copy.destination, key: copy.key, size: backup.size ?? 0 };
  const raw = session.trackApply(await staged.open(), read);
  const decompressor = createDecompressor((backup.compression ?? 'none') as CompressionKind);
  const decoded = await decodedOf(backup, decryption, copy.destination);
  const stages = [
    ...(decryption === undefined ? [] : [await decryptStream(decryption)]),
    ...(decompressor === undefined ? [] : [decompressor]),
    ...(decoded === undefined ? [] : [expectBytes(decoded, `the copy on ${copy.destination}`)]),
  ];
  if (stages.length === 0) return raw;
  const out = new PassThrough();
  pipeline([raw, ...stages, out]).catch((error: unknown) => out.destroy(error as Error));
  return out;
}

/** What the backup proved its artifact decodes to (older backups recorded nothing). */
async function decodedOf(
  backup: BackupRow,
  decryption: Decryption | undefined,
  where: string,
): Promise<{ size: number; sha256: string } | undefined> {
  if (decryption === undefined) return backup.manifest?.artifact.decoded;
  return (await unsealFacts(decryption, where)).decoded;
}

/** An encrypted copy is decrypted once before use (see checkDecrypts); a staged copy that fails is removed. */
async function decryptsOrCleanup(staged: StagedCopy, decryption: Decryption, where: string): Promise<void> {
  try {
    await checkDecrypts(decryption, await staged.open(), where);
  } catch (error) {
    await staged.cleanup();
    throw error;
  }
}

export async function stageFirstGoodCopy(
  session: Session,
  backup: BackupRow,
  from: string | undefined,
  decryption: Decryption | undefined,
): Promise<{ staged: StagedCopy; copy: CopyRow; skipped: { destination: string; reason: string }[] }> {
  if (backup.size === null || backup.sha256 === null) {
    throw new UsageError(`backup ${backup.id} has no complete artifact (status ${backup.status})`);
  }
  const expected = { size: backup.size, sha256: backup.sha256 };
  let copies = await usableCopies(session, backup.id);
  if (from !== undefined) {
    session.destinationSpec(from);
    copies = copies.filter((c) => c.destination === from);
    if (copies.length === 0) throw new UsageError(`backup ${backup.id} has no good copy on ${from}`);
  } else {
    copies = await rankCopies(session, copies);
  }
  if (copies.length === 0) throw new UsageError(`backup ${backup.id} has no good copy left`);
  const skipped: { destination: string; reason: string }[] = [];
  for (const copy of copies) {
    try {
      const staged = await stageCopy(session, copy.destination, copy.key, expected);
      if (decryption !== undefined) await decryptsOrCleanup(staged, decryption, copy.destination);
      return { staged, copy, skipped };
    } catch (error) {
      if (UsageError.isInstance(error)) throw error;
      const reason = session.redact(describeError(error));
      skipped.push({ destination: copy.destination, reason });
      session.logger.warn(`skipping the copy on ${copy.destination}: ${reason}`);
    }
  }
  throw new Error(
    `no copy of backup ${backup.id} could be read intact: ${skipped.map((s) => `${s.destination}: ${s.reason}`).join('; ')}`,
  );
}
