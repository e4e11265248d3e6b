import { randomBytes } from 'node:crypto';
import { type FileHandle, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { EXCLUSIVE_READ_WRITE, openExclusive } from '@tricopy/contract';
import { judgeCopy } from '../copies/copy-check.js';
import { HashCounter } from '../pipeline/hash-counter.js';
import type { Session } from '../session/session.js';
import { formatBytes } from '../util/duration.js';
import { IntegrityError } from '../util/errors.js';

export interface StagedCopy {
  /** Opens the confirmed bytes; may be called more than once. */
  open(): Promise<Readable>;
  cleanup(): Promise<void>;
}

/**
 * Makes a copy's bytes available only once their size and sha256 are confirmed: the copy is read once, into a
 * file in this run's private work folder through one open handle while hashing, and what is applied is read back
 * through that same handle. Whatever happens to the stored copy (or to the file's path) afterwards, the bytes
 * applied are the bytes hashed.
 */
export async function stageCopy(
  session: Session,
  destinationName: string,
  key: string,
  expected: { size: number; sha256: string },
): Promise<StagedCopy> {
  const destination = await session.destination(destinationName);
  const file = join(await session.workDir(), `staged-${randomBytes(6).toString('hex')}`);
  const handle = await openExclusive(file, 0o600, EXCLUSIVE_READ_WRITE);
  const cleanup = async () => {
    await handle.close().catch(() => undefined);
    await rm(file, { force: true });
  };
  const hasher = new HashCounter({ bytes: expected.size, what: `the copy on ${destinationName}` });
  try {
    await pipeline(await destination.get(key), hasher, async (hashed: AsyncIterable<Buffer>) => {
      for await (const chunk of hashed) await handle.write(chunk);
    });
  } catch (error) {
    await cleanup();
    throw workDirError(error, session.config.workDir, destinationName, expected.size) ?? error;
  }
  const check = judgeCopy(expected, { read: { size: hasher.bytes, sha256: hasher.sha256 } });
  if (!check.ok) {
    await cleanup();
    throw new IntegrityError(
      `copy on ${destinationName} does not match the backup: ${hasher.bytes} bytes sha256 ${hasher.sha256}, expected ${expected.size} bytes sha256 ${expected.sha256}`,
    );
  }
  return { open: async () => Readable.from(readFrom(handle)), cleanup };
}

const READ_SIZE = 1024 * 1024;

/** Reads the whole file from its start through the handle (never by path). */
async function* readFrom(handle: FileHandle): AsyncGenerator<Buffer> {
  for (let position = 0; ; ) {
    const { bytesRead, buffer } = await handle.read(Buffer.alloc(READ_SIZE), 0, READ_SIZE, position);
    if (bytesRead === 0) return;
    position += bytesRead;
    yield buffer.subarray(0, bytesRead);
  }
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
