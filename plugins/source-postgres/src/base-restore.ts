import { randomBytes } from 'node:crypto';
import { chmod, lstat, mkdir, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { type Logger, type RestoreOptions, type RestoreTarget, SourceError } from '@tricopy/contract';
import { fsyncDir } from '@tricopy/plugin-support';
import { BASE_FORMAT } from './base-backup.js';
import { writeRecovery } from './base-conf.js';
import { extractBase, UnsafeArchiveError } from './base-extract.js';
import { verifyBackup } from './base-verify.js';
import type { ConnectionSettings } from './connection.js';

/** Temporary siblings a restore extracts into: `.<name>.tricopy-restore-<hex>`. */
export const EXTRACTING_MARK = '.tricopy-restore-';

function where(settings: ConnectionSettings): string {
  return `source "${settings.instance}"`;
}

/** The data directory of a directory target, absolute; refused when missing. */
export function targetDirectory(settings: ConnectionSettings, target: RestoreTarget): string {
  if (target.directory === undefined || target.directory === '') {
    throw new SourceError(
      `${where(settings)}: a base backup (mode: base) restores into a data directory: give one (tricopy restore --to DIR)`,
    );
  }
  return resolve(target.directory);
}

/** The data directory must not exist, or be an empty folder (not a symlink); its parent must exist. */
export async function checkDirectoryTarget(settings: ConnectionSettings, dir: string): Promise<void> {
  const stats = await lstat(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw new SourceError(`${where(settings)}: cannot inspect ${dir}: ${error.message}`);
  });
  if (stats === undefined) {
    const parent = await lstat(dirname(dir)).catch(() => undefined);
    if (parent?.isDirectory() !== true) {
      throw new SourceError(`${where(settings)}: ${dirname(dir)} does not exist: create it first`);
    }
    return;
  }
  if (!stats.isDirectory()) {
    throw new SourceError(
      `${where(settings)}: ${dir} exists and is not a folder: restore into a new or empty folder`,
    );
  }
  if ((await readdir(dir)).length > 0) {
    throw new SourceError(
      `${where(settings)}: ${dir} is not empty: restore into a new or empty folder (nothing was changed)`,
    );
  }
}

/** An exclusive, private (0700) sibling of `dir` to extract into. */
async function makeSibling(dir: string): Promise<string> {
  const sibling = join(dirname(dir), `.${basename(dir)}${EXTRACTING_MARK}${randomBytes(6).toString('hex')}`);
  await mkdir(sibling, { mode: 0o700 });
  await chmod(sibling, 0o700);
  return sibling;
}

function extractionError(settings: ConnectionSettings, error: unknown): SourceError {
  const message = (error as Error).message;
  if (error instanceof UnsafeArchiveError || /TAR_|\.\.|absolute|symbolic link/i.test(message)) {
    return new SourceError(
      `${where(settings)}: refusing the base backup archive: ${message} (an archive a base backup made never does this)`,
      { cause: error },
    );
  }
  return new SourceError(`${where(settings)}: extracting the base backup failed: ${message}`, {
    cause: error,
  });
}

async function extractChecked(settings: ConnectionSettings, input: Readable, into: string): Promise<void> {
  const names = await extractBase(input, into).catch((error: unknown) => {
    input.destroy();
    throw extractionError(settings, error);
  });
  for (const required of ['backup_label', 'backup_manifest', 'global', 'base']) {
    if (!names.has(required)) {
      throw new SourceError(
        `${where(settings)}: the archive lacks ${required}: it is not a complete pg_basebackup tar`,
      );
    }
  }
}

export interface BaseRestoreContext {
  readonly settings: ConnectionSettings;
  readonly logger: Logger;
}

/**
 * Restores a base backup tar into a new data directory: extracted into a private sibling, checked with
 * pg_verifybackup, given the recovery settings, then renamed into place. Until the rename nothing exists under the
 * target's name; a failure removes the sibling.
 */
export async function restoreBase(
  { settings, logger }: BaseRestoreContext,
  input: Readable,
  target: RestoreTarget,
  options: RestoreOptions,
): Promise<string> {
  if (options.format !== BASE_FORMAT) {
    throw new SourceError(
      `${where(settings)}: cannot restore format "${options.format}" into a data directory (expected ${BASE_FORMAT}: a backup made with mode: base)`,
    );
  }
  options.signal?.throwIfAborted();
  const dir = targetDirectory(settings, target);
  await checkDirectoryTarget(settings, dir);
  const sibling = await makeSibling(dir);
  try {
    await extractChecked(settings, input, sibling);
    options.signal?.throwIfAborted();
    const verified = await verifyBackup(settings, sibling);
    logger.info(`${where(settings)}: ${verified}`);
    if (options.recovery !== undefined) await writeRecovery(sibling, options.recovery);
    await checkDirectoryTarget(settings, dir);
    await rename(sibling, dir).catch((error: NodeJS.ErrnoException) => {
      throw new SourceError(
        `${where(settings)}: could not move the restored data directory into place at ${dir}: ${error.message} (nothing was restored there)`,
      );
    });
  } catch (error) {
    await rm(sibling, { recursive: true, force: true });
    throw error;
  }
  await fsyncDir(dirname(dir)).catch(() => {});
  if (process.getuid?.() === 0) {
    logger.info(
      `${where(settings)}: ${dir} belongs to root, and PostgreSQL refuses to run as root: give it to the server's OS user (chown -R postgres: ${dir}) before starting it`,
    );
  }
  return dir;
}
