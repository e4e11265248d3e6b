import { accessSync, closeSync, constants, existsSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { IntegrityError } from '../util/errors.js';

const REBUILD_HINT =
  'move it aside and run `tricopy catalog rebuild --from DESTINATION` (every destination holds the manifests)';

/** Errors of SQLite or of the file system that mean the catalog file cannot be opened or written here. */
const ACCESS_CODES = new Set([
  'SQLITE_CANTOPEN',
  'SQLITE_READONLY',
  'SQLITE_PERM',
  'SQLITE_AUTH',
  'EROFS',
  'EACCES',
  'EPERM',
]);

/** A 0-byte catalog is a truncated one, not a new one: starting afresh would silently forget every backup. */
export function refuseEmptyCatalog(path: string): void {
  const size = (file: string) => (existsSync(file) ? statSync(file).size : undefined);
  if (size(path) === 0 && !size(`${path}-wal`)) {
    throw new IntegrityError(
      `the catalog ${path} is empty (0 bytes), so it lost its records: ${REBUILD_HINT}`,
    );
  }
}

/** SQLite's "not a database" and "malformed" errors, as a line that names the file and what to do. */
export function damagedCatalogError(path: string, error: unknown): IntegrityError | undefined {
  const code = String((error as { code?: unknown }).code ?? '');
  if (code !== 'SQLITE_NOTADB' && !code.startsWith('SQLITE_CORRUPT')) return undefined;
  return new IntegrityError(`the catalog ${path} is damaged (${(error as Error).message}): ${REBUILD_HINT}`);
}

/**
 * A new catalog file, created empty and readable by its owner only (SQLite gives its -wal and -shm files the
 * database file's mode). An existing one is left as it is.
 */
export function createPrivately(path: string): void {
  try {
    closeSync(
      openSync(path, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY | constants.O_NOFOLLOW, 0o600),
    );
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}

/**
 * Why the catalog file cannot be opened or written, as one line naming it (undefined: not a matter of access).
 * SQLite only says "unable to open database file": the file system is asked what stands in the way.
 */
export function catalogAccessError(path: string, error: unknown): Error | undefined {
  const code = String((error as { code?: unknown }).code ?? '');
  if (!ACCESS_CODES.has(code)) return undefined;
  const why = accessProblem(path) ?? (error as Error).message;
  return new Error(
    `cannot open the catalog ${path}: ${why}; make it writable, or point catalog: in the config at a writable path (list and restore only read it)`,
    { cause: error },
  );
}

function accessProblem(path: string): string | undefined {
  for (const [target, what] of [
    [path, 'the file'],
    [dirname(path), 'its folder'],
  ] as const) {
    try {
      accessSync(target, constants.R_OK | constants.W_OK);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EROFS') return `its file system is read-only (${code})`;
      if (code === 'EACCES' || code === 'EPERM') return `${what} is not writable by this user (${code})`;
    }
  }
  return undefined;
}

/**
 * A check that the catalog file is still the one opened: one replaced (moved over, restored from a copy) or deleted
 * while a command runs would take what the command records with it, while the command said all was well.
 */
export function sameFileCheck(path: string): () => void {
  const opened = statSync(path);
  return () => {
    let current: ReturnType<typeof statSync>;
    try {
      current = statSync(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      throw new IntegrityError(`the catalog ${path} was deleted while this command ran: ${NOT_RECORDED}`);
    }
    if (current.dev !== opened.dev || current.ino !== opened.ino) {
      throw new IntegrityError(
        `the catalog ${path} was replaced by another file while this command ran: ${NOT_RECORDED}`,
      );
    }
  };
}

const NOT_RECORDED =
  'what it recorded went with the old file and this run is NOT recorded in the catalog; its backups are on the destinations: run `tricopy catalog rebuild --from DESTINATION` to record them again';
