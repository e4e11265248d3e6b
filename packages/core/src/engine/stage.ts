import { createReadStream, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { HashCounter, hashStream } from '../pipeline/hash-counter.js';
import { formatBytes } from '../util/duration.js';
import { IntegrityError } from '../util/errors.js';
import type { Session } from './session.js';

export interface StagedCopy {
  /** Opens the confirmed bytes; may be called more than once. */
  open(): Promise<Readable>;
  cleanup(): Promise<void>;
}

/**
 * Makes a copy's bytes available only once their size and sha256 are confirmed: a local copy is hashed in place
 * (and read again afterwards), a remote one is downloaded into the work folder while hashing.
 */
export async function stageCopy(
  session: Session,
  destinationName: string,
  key: string,
  expected: { size: number; sha256: string },
): Promise<StagedCopy> {
  const destination = await session.destination(destinationName);
  const mismatch = (size: number, sha256: string) =>
    new IntegrityError(
      `copy on ${destinationName} does not match the backup: ${size} bytes sha256 ${sha256}, expected ${expected.size} bytes sha256 ${expected.sha256}`,
    );

  if (destination.capabilities?.local) {
    const actual = await hashStream(await destination.get(key));
    if (actual.size !== expected.size || actual.sha256 !== expected.sha256)
      throw mismatch(actual.size, actual.sha256);
    return { open: () => destination.get(key), cleanup: async () => {} };
  }

  const file = join(await session.workDir(), `staged-${destinationName}-${key.replaceAll('/', '_')}`);
  const hasher = new HashCounter();
  try {
    await pipeline(await destination.get(key), hasher, createWriteStream(file, { mode: 0o600 }));
  } catch (error) {
    await rm(file, { force: true });
    throw workDirError(error, session.config.workDir, destinationName, expected.size) ?? error;
  }
  if (hasher.bytes !== expected.size || hasher.sha256 !== expected.sha256) {
    await rm(file, { force: true });
    throw mismatch(hasher.bytes, hasher.sha256);
  }
  return { open: async () => createReadStream(file), cleanup: () => rm(file, { force: true }) };
}

/** A full or over-quota workDir is named as such: the copy being staged is not at fault. */
function workDirError(
  error: unknown,
  workDir: string,
  destinationName: string,
  size: number,
): Error | undefined {
  const code = (error as NodeJS.ErrnoException).code;
  if (code !== 'ENOSPC' && code !== 'EDQUOT') return undefined;
  return new Error(
    `workDir ${workDir} has no space left to stage the copy from ${destinationName} (${formatBytes(size)} needed): free space there, or set workDir in the config to a folder with room`,
    { cause: error },
  );
}
