import { SourceError, type TableCount } from '@tricopy/contract';
import Database from 'better-sqlite3';
import { countTables, type DatabaseFacts, databaseFacts, integrityCheck } from './inspect.js';
import { assertDatabaseFile, sourceDatabaseError } from './sqlite-errors.js';

/** Pages copied per backup step; the event loop runs between steps. */
const PAGES_PER_STEP = 1024;

export interface SnapshotRequest {
  readonly where: string;
  /** The live database. */
  readonly path: string;
  /** The snapshot file to create (its folder exists, the file does not). */
  readonly file: string;
  readonly busyTimeoutMs: number;
  readonly signal?: AbortSignal;
}

export interface SnapshotFacts extends DatabaseFacts {
  readonly tables: TableCount[];
}

/**
 * Copies the live database into `file` with SQLite's online backup API, inside one read transaction: the copy is
 * the database as of one instant, even in WAL mode with writers running (they are not blocked and do not make the
 * backup restart). Then checks and counts the COPY, never the live database.
 */
export async function takeSnapshot(request: SnapshotRequest): Promise<SnapshotFacts> {
  const { where, path, busyTimeoutMs, signal } = request;
  await assertDatabaseFile(where, path);
  let live: Database.Database | undefined;
  try {
    live = new Database(path, { readonly: true, fileMustExist: true, timeout: busyTimeoutMs });
    live.exec('BEGIN');
    // Takes the read lock now, within busyTimeoutMs (better-sqlite3's backup loop would wait forever for it).
    live.prepare('SELECT count(*) FROM sqlite_master').get();
    await live.backup(request.file, {
      progress: () => {
        signal?.throwIfAborted();
        return PAGES_PER_STEP;
      },
    });
    live.exec('COMMIT');
  } catch (error) {
    if (signal?.aborted)
      throw new SourceError(`${where}: the dump of ${path} was aborted`, { cause: signal.reason });
    throw sourceDatabaseError(where, path, busyTimeoutMs, error);
  } finally {
    live?.close();
  }
  return inspectSnapshot(where, path, request.file);
}

function inspectSnapshot(where: string, path: string, file: string): SnapshotFacts {
  let snapshot: Database.Database | undefined;
  try {
    snapshot = new Database(file, { fileMustExist: true });
    const problems = integrityCheck(snapshot);
    if (problems.length !== 1 || problems[0] !== 'ok') {
      throw new SourceError(
        `${where}: the snapshot of ${path} fails integrity_check: ${problems.slice(0, 3).join('; ')} (the database is damaged: repair it, e.g. with sqlite3 ".recover", before backing it up)`,
        { details: problems.join('\n') },
      );
    }
    return { ...databaseFacts(snapshot), tables: countTables(snapshot) };
  } catch (error) {
    throw sourceDatabaseError(where, path, 0, error);
  } finally {
    snapshot?.close();
  }
}
