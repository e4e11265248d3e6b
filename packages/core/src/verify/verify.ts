import type { BackupRow, CopyRow } from '../catalog/catalog.js';
import { refreshBackupStatus } from '../copies/backup-status.js';
import { baseDetailsOf } from '../copies/base-backup.js';
import { checkStoredCopy, type MismatchKind } from '../copies/copy-check.js';
import { copyCounts } from '../copies/copy-state.js';
import { foreignKeyProblem } from '../manifest/layout.js';
import { assertionFailures } from '../readback/assertions-run.js';
import type { Session } from '../session/session.js';
import { describeError } from '../util/errors.js';
import { type RestoreTestVerification, restoreTestBackup } from './restore-test.js';
import { notifyRestoreTestFailed } from './restore-test-notify.js';

export type VerifyLevel = 'stat' | 'deep' | 'restore-test';
export type CopyCheckStatus = 'ok' | MismatchKind | 'error';

export interface CopyVerification {
  readonly backupId: string;
  readonly job: string;
  readonly destination: string;
  readonly level: 'stat' | 'deep';
  readonly status: CopyCheckStatus;
  readonly expected: { readonly size: number | null; readonly sha256: string | null };
  readonly actual: { readonly size?: number; readonly sha256?: string };
  readonly error?: string;
}

export interface VerifyReport {
  readonly copies: readonly CopyVerification[];
  readonly restoreTests: readonly RestoreTestVerification[];
  readonly ok: boolean;
}

/** Checks stored copies: existence and size (stat), or every byte's sha256 (deep), plus an optional restore test. */
export async function verifyBackups(
  session: Session,
  backups: readonly BackupRow[],
  level: VerifyLevel,
  options: {
    signal?: AbortSignal;
    /** The restore_command for jobs that archive WAL: their restore tests then replay it (see restoreTestBackup). */
    walFetchCommand?: (job: string) => string;
  } = {},
): Promise<VerifyReport> {
  const copies: CopyVerification[] = [];
  const restoreTests: RestoreTestVerification[] = [];
  for (const backup of backups) {
    options.signal?.throwIfAborted();
    const rows = (await session.catalog.listCopies(backup.id)).filter((c) => copyCounts(c, 'present'));
    const settled = await Promise.allSettled(
      rows.map((row) =>
        verifyCopy(session, backup, row, {
          level: level === 'stat' ? 'stat' : 'deep',
          signal: options.signal,
        }),
      ),
    );
    options.signal?.throwIfAborted();
    for (const check of settled) {
      if (check.status === 'rejected') throw check.reason;
      if (check.value !== undefined) copies.push(check.value);
    }
    await refreshBackupStatus(session, backup.id);
    if (level !== 'restore-test') continue;
    const tested = await restoreTest(session, backup, options.signal, options.walFetchCommand);
    if (tested !== undefined) restoreTests.push(tested);
  }
  const ok = copies.every((c) => c.status === 'ok') && restoreTests.every((r) => r.status === 'ok');
  return { copies, restoreTests, ok };
}

/** Whether the backup was pruned or forgotten since its check began (then the check says nothing about it). */
async function backupIsGone(session: Session, backupId: string): Promise<boolean> {
  const now = await session.catalog.getBackup(backupId);
  return now === undefined || now.prunedAt !== null;
}

/** Whether the copy was pruned or forgotten since the check began (then its check says nothing about it). */
async function copyIsGone(session: Session, backup: BackupRow, destination: string): Promise<boolean> {
  if (await backupIsGone(session, backup.id)) return true;
  const copy = (await session.catalog.listCopies(backup.id)).find((c) => c.destination === destination);
  return copy === undefined || !copyCounts(copy, 'present');
}

/** Checks one copy and records the outcome; undefined (nothing recorded) when it failed because it was pruned meanwhile. */
async function verifyCopy(
  session: Session,
  backup: BackupRow,
  copy: CopyRow,
  { level, signal }: { level: 'stat' | 'deep'; signal: AbortSignal | undefined },
): Promise<CopyVerification | undefined> {
  const expected = { size: backup.size, sha256: backup.sha256 };
  const base = { backupId: backup.id, job: backup.job, destination: copy.destination, level, expected };
  let result: CopyVerification;
  try {
    if (backup.size === null || backup.sha256 === null)
      throw new Error('the backup has no complete artifact');
    const foreign = foreignKeyProblem(backup, copy.key);
    if (foreign !== undefined) throw new Error(`not checked: ${foreign}`);
    const destination = await session.destination(copy.destination);
    const expectedCopy = { size: backup.size, sha256: backup.sha256 };
    const check = await checkStoredCopy(destination, copy.key, expectedCopy, {
      deep: level === 'deep',
      ...(signal === undefined ? {} : { signal }),
    });
    result = check.ok
      ? {
          ...base,
          status: 'ok',
          actual: { size: check.size, ...(check.hashed ? { sha256: check.sha256 } : {}) },
        }
      : {
          ...base,
          status: check.kind,
          actual: {
            ...(check.actualSize === undefined ? {} : { size: check.actualSize }),
            ...(check.actualSha256 === undefined ? {} : { sha256: check.actualSha256 }),
          },
          ...(check.kind === 'no-checksum' || check.actualSize === undefined ? { error: check.message } : {}),
        };
  } catch (error) {
    // An interrupted check says nothing about the copy: nothing is recorded.
    signal?.throwIfAborted();
    result = { ...base, status: 'error', actual: {}, error: session.redact(describeError(error)) };
  }
  if (result.status !== 'ok' && (await copyIsGone(session, backup, copy.destination))) {
    session.logger.info(
      `backup ${backup.id}: the copy on ${copy.destination} was pruned or forgotten while it was checked: nothing recorded`,
    );
    return undefined;
  }
  await session.catalog.recordVerification({
    backupId: backup.id,
    destination: copy.destination,
    level,
    status: result.status,
    expectedSize: backup.size,
    expectedSha256: backup.sha256,
    actualSize: result.actual.size ?? null,
    actualSha256: result.actual.sha256 ?? null,
    detail: result.error ?? null,
  });
  if (result.status === 'ok' && !copyCounts(copy)) {
    await session.catalog.setCopyStatus(backup.id, copy.destination, 'verified');
  } else if (result.status !== 'ok' && result.status !== 'error') {
    await session.catalog.setCopyStatus(
      backup.id,
      copy.destination,
      'failed',
      `${level} verify: ${result.status}`,
    );
    session.logger.error(`backup ${backup.id}: the copy on ${copy.destination} is ${result.status}`);
  }
  return result;
}

async function restoreTest(
  session: Session,
  backup: BackupRow,
  signal: AbortSignal | undefined,
  walFetchCommand: ((job: string) => string) | undefined,
): Promise<RestoreTestVerification | undefined> {
  const base = { backupId: backup.id, job: backup.job };
  let result: RestoreTestVerification;
  let destination: string | undefined;
  try {
    const tested = await restoreTestBackup(session, backup, {
      ...(signal === undefined ? {} : { signal }),
      ...(walFetchCommand === undefined ? {} : { walFetchCommand }),
      onCopy: (read) => {
        destination = read;
      },
    });
    destination = tested.destination;
    const expected = new Map((tested.expected ?? []).map((t) => [t.name, t]));
    const actual = new Map(tested.tables.map((t) => [t.name, t.rows]));
    const names = [...new Set([...expected.keys(), ...actual.keys()])].sort();
    // Replayed to the end of the archive, the data is as of the newest WAL: no count recorded describes it. A base
    // backup records no counts at all (its end point is not a moment anyone counted at). Replayed to a restore point
    // marked on the source, the counts taken there are compared exactly.
    const replayed = tested.replayedTo !== undefined;
    const countsOnly =
      replayed ||
      (tested.expected === undefined && baseDetailsOf(backup.manifest?.source.details) !== undefined);
    const tables = names.map((name) => {
      const want = expected.get(name);
      return {
        name,
        exact: countsOnly ? false : (want?.exact ?? true),
        ...(want === undefined ? {} : { expected: want.rows }),
        ...(actual.has(name) ? { actual: actual.get(name) as number } : {}),
      };
    });
    const mismatch = tables.some((t) => t.exact && t.expected !== t.actual);
    const failedAssertions = assertionFailures(tested.assertions);
    result = {
      ...base,
      destination,
      status: mismatch ? 'mismatch' : failedAssertions === undefined ? 'ok' : 'failed',
      tables,
      ...(replayed ? { replayedTo: tested.replayedTo } : {}),
      ...(tested.restorePoint === undefined ? {} : { restorePoint: tested.restorePoint }),
      ...(countsOnly ? { countsOnly: true } : {}),
      ...(tested.assertions.length === 0 ? {} : { assertions: tested.assertions }),
      ...(failedAssertions === undefined ? {} : { error: failedAssertions }),
    };
  } catch (error) {
    // An interrupted test says nothing about the backup: nothing is recorded.
    signal?.throwIfAborted();
    result = {
      ...base,
      ...(destination === undefined ? {} : { destination }),
      status: 'error',
      tables: [],
      error: session.redact(describeError(error)),
    };
    if (await backupIsGone(session, backup.id)) {
      session.logger.info(
        `backup ${backup.id} was pruned or forgotten during its restore test: nothing recorded`,
      );
      return undefined;
    }
  }
  await session.catalog.recordVerification({
    backupId: backup.id,
    destination: destination ?? null,
    level: 'restore-test',
    status: result.status,
    expectedSize: backup.size,
    expectedSha256: backup.sha256,
    actualSize: null,
    actualSha256: null,
    detail: result.error ?? JSON.stringify(result.tables.filter((t) => t.expected !== t.actual)),
  });
  if (result.status !== 'ok') await notifyRestoreTestFailed(session, result);
  return result;
}
