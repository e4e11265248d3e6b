import { readFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { BackupRow } from '../catalog/catalog.js';
import { judgeCopy } from '../copies/copy-check.js';
import type { ManifestEncryption, SealedFacts } from '../manifest/manifest.js';
import { HashCounter } from '../pipeline/hash-counter.js';
import type { Session } from '../session/session.js';
import { describeError, IntegrityError, UsageError } from '../util/errors.js';

/** age (and its curves) is loaded only for an encrypted backup: it costs every other command's start-up. */
const loadAge = () => import('@tricopy/age');

/** The age identities a restore of an encrypted backup decrypts with. */
export interface Decryption {
  readonly encryption: ManifestEncryption;
  readonly identities: readonly string[];
  readonly identityFile: string;
}

/**
 * The identities to open `backup` with, or undefined for a plaintext backup. Without an identity file it refuses,
 * naming the recipients that can open the backup. An identity file given for a plaintext backup is still read and
 * parsed, so that a wrong path or a malformed file shows now, not on the day an encrypted backup needs it. The
 * file's contents appear in no message.
 */
export async function decryptionFor(session: Session, backup: BackupRow): Promise<Decryption | undefined> {
  const encryption = backup.manifest?.encryption;
  const file = session.identityFile;
  if (encryption === undefined) {
    if (file !== undefined) {
      await readIdentities(file);
      session.logger.info(`backup ${backup.id} is not encrypted: the identity file ${file} was not needed`);
    }
    return undefined;
  }
  if (file === undefined) {
    throw new UsageError(
      `backup ${backup.id} is encrypted (age) to ${encryption.recipients.join(', ')}: pass --identity FILE (or set TRICOPY_IDENTITY_FILE) with the identity of one of them`,
    );
  }
  return { encryption, identities: await readIdentities(file), identityFile: file };
}

/** The age identities in `file`; an unreadable or malformed file is a UsageError naming it. */
export async function readIdentities(file: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError(
      `cannot read the identity file ${file}: ${(error as NodeJS.ErrnoException).code ?? describeError(error)}`,
    );
  }
  const { parseIdentities } = await loadAge();
  try {
    return parseIdentities(text, `the identity file ${file}`);
  } catch (error) {
    throw new UsageError(describeError(error));
  }
}

/**
 * Decrypts a staged copy once, end to end, without keeping the plaintext: every chunk must authenticate and the
 * plaintext must match the recorded size and SHA-256 before anything is applied. A damaged copy is an
 * IntegrityError (the next copy is tried); an identity that opens none of the recipients is a UsageError.
 */
export async function checkDecrypts(decryption: Decryption, staged: Readable, where: string): Promise<void> {
  const hasher = new HashCounter();
  try {
    await pipeline(staged, await decryptStream(decryption), hasher, async (plain: AsyncIterable<Buffer>) => {
      for await (const _ of plain);
    });
  } catch (error) {
    throw await decryptionError(decryption, error, where);
  }
  const { plaintext } = decryption.encryption;
  if (!judgeCopy(plaintext, { read: { size: hasher.bytes, sha256: hasher.sha256 } }).ok) {
    throw new IntegrityError(
      `copy on ${where} decrypts to ${hasher.bytes} bytes sha256 ${hasher.sha256}, expected ${plaintext.size} bytes sha256 ${plaintext.sha256}`,
    );
  }
}

export async function decryptStream(decryption: Decryption) {
  const { createDecryptStream } = await loadAge();
  return createDecryptStream(decryption.identities);
}

/** The source facts and table counts sealed in an encrypted backup's manifest. */
export async function unsealFacts(decryption: Decryption, where: string): Promise<SealedFacts> {
  const { unsealText } = await loadAge();
  try {
    return JSON.parse(await unsealText(decryption.identities, decryption.encryption.sealed)) as SealedFacts;
  } catch (error) {
    throw await decryptionError(decryption, error, where);
  }
}

async function decryptionError(decryption: Decryption, error: unknown, where: string): Promise<Error> {
  const { AgeDecryptError, recipientsOf } = await loadAge();
  if (!(error instanceof AgeDecryptError)) return error instanceof Error ? error : new Error(String(error));
  if (error.failure === 'no-match') {
    const tried = await recipientsOf(decryption.identities).catch(() => []);
    return new UsageError(
      `the identity file ${decryption.identityFile} (${tried.join(', ')}) does not open this backup: it is encrypted to ${decryption.encryption.recipients.join(', ')}; nothing was applied`,
    );
  }
  return new IntegrityError(`copy on ${where} cannot be decrypted: ${error.message}`);
}
