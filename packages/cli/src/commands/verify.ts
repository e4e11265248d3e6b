import {
  type Session,
  selectBackups,
  shownLevel,
  type VerifyLevel,
  type VerifyReport,
  verifyBackups,
  verifyWal,
  type WalVerification,
} from '@tricopy/core';
import { type GlobalOptions, withSession } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { interruptible } from '../interruptible.js';
import { MeteredSession } from '../metered-session.js';
import { formatTable, printJson, printLine, shortHash } from '../output.js';
import { createReadProgress, progressMode } from '../progress.js';
import { walContinuityLines } from './wal-lines.js';

export interface VerifyOptions extends GlobalOptions {
  latest?: boolean;
  all?: boolean;
  job?: string;
  deep?: boolean;
  restoreTest?: boolean;
}

/** Reads of one copy in a verify: the deep re-hash, then (restore test) its staging and its restore. */
function verifyLabel(backupId: string, destination: string, pass: number): string {
  const what =
    ['re-hashing', 'restore test: checking', 'restore test: restoring from'][pass - 1] ?? 'reading';
  return `${backupId}: ${what} ${destination}`;
}

export async function verifyCommand(backupId: string | undefined, options: VerifyOptions): Promise<number> {
  const progress = createReadProgress(progressMode(options));
  try {
    return await withSession(
      options,
      (session) => verifySelected(session, backupId, options, () => progress.stop()),
      (o) => new MeteredSession(o, progress, verifyLabel),
    );
  } finally {
    progress.stop();
  }
}

async function verifySelected(
  session: Session,
  backupId: string | undefined,
  options: VerifyOptions,
  readsDone: () => void,
): Promise<number> {
  const backups = await selectBackups(session, {
    ...(backupId === undefined ? {} : { backupId }),
    ...(options.latest ? { latest: true } : {}),
    ...(options.all ? { all: true } : {}),
    ...(options.job === undefined ? {} : { job: options.job }),
  });
  const level: VerifyLevel = options.restoreTest ? 'restore-test' : options.deep ? 'deep' : 'stat';
  // Ctrl-C / SIGTERM stop a restore test, so its scratch database is dropped and its password file removed.
  const jobs = [
    ...new Set([...backups.map((b) => b.job), ...(options.job === undefined ? [] : [options.job])]),
  ];
  const { report, wal } = await interruptible('verify', async (signal) => {
    const checked = await verifyBackups(session, backups, level, { signal });
    return { report: checked, wal: await verifyJobsWal(session, jobs, level !== 'stat', signal) };
  }).finally(readsDone);
  const ok = report.ok && wal.every((w) => w.ok);
  if (options.json) {
    printJson({
      ok,
      level: shownLevel(level),
      copies: report.copies.map((c) => ({
        backupId: c.backupId,
        job: c.job,
        destination: c.destination,
        level: shownLevel(c.level),
        status: c.status,
        expected: c.expected,
        actual: c.actual,
        ...(c.error === undefined ? {} : { error: c.error }),
      })),
      restoreTests: report.restoreTests,
      wal,
    });
  } else {
    if (backups.length === 0) printLine('no backups to verify');
    printLine(
      formatTable(
        ['backup', 'job', 'destination', 'check', 'result', 'sha256'],
        report.copies.map((c) => [
          c.backupId,
          c.job,
          c.destination,
          shownLevel(c.level),
          c.status === 'ok' ? 'ok' : `${c.status.toUpperCase()}${c.error ? `: ${c.error}` : ''}`,
          shortHash(c.actual.sha256 ?? null),
        ]),
      ),
    );
    for (const test of report.restoreTests) printLine(restoreTestLine(test));
    for (const w of wal) for (const line of walVerificationLines(w)) printLine(line);
  }
  if (ok) return EXIT.ok;
  const anyGood = report.copies.some((c) => c.status === 'ok');
  return anyGood && report.restoreTests.every((r) => r.status === 'ok') ? EXIT.degraded : EXIT.failed;
}

/** The WAL of each job that has base backups: every copy checked (re-hashed unless stat), then its continuity. */
async function verifyJobsWal(
  session: Session,
  jobs: readonly string[],
  deep: boolean,
  signal: AbortSignal,
): Promise<WalVerification[]> {
  const found: WalVerification[] = [];
  for (const job of jobs) {
    if (!session.config.jobs.has(job)) continue;
    const checked = await verifyWal(session, job, { deep, signal });
    if (checked !== undefined) found.push(checked);
  }
  return found;
}

function walVerificationLines(w: WalVerification): string[] {
  const copies = `WAL job ${w.job}: ${w.checked} cop${w.checked === 1 ? 'y' : 'ies'} checked (${w.level === 'deep' ? 're-hashed' : 'exists'})`;
  return [
    w.failed.length === 0 ? `${copies}, all ok` : `${copies}, ${w.failed.length} FAILED`,
    ...w.failed.map(
      (f) => `FAILED WAL ${f.name} on ${f.destination}: ${f.status}${f.error ? `: ${f.error}` : ''}`,
    ),
    ...walContinuityLines(w.job, w.continuity),
  ];
}

function restoreTestLine(test: VerifyReport['restoreTests'][number]): string {
  const differing = test.tables.filter((t) => t.exact && t.expected !== t.actual);
  const counted =
    test.restorePoint !== undefined
      ? `; WAL replayed to restore point ${test.restorePoint}, made on the source with its row counts`
      : test.replayedTo !== undefined
        ? `; WAL replayed to the end of the archive (stored up to ${test.replayedTo}): row counts reported, not compared`
        : test.countsOnly
          ? '; a base backup records no row counts: reported, not compared'
          : '';
  return (
    `restore test of ${test.backupId} (${test.job}) from ${test.destination ?? '-'}: ${test.status}` +
    (test.error
      ? `: ${test.error}`
      : `, ${test.tables.length} tables ${test.countsOnly ? 'counted' : 'compared'}`) +
    (differing.length > 0
      ? `; differing: ${differing.map((t) => `${t.name} ${t.actual ?? 'missing'}≠${t.expected ?? 'none'}`).join(', ')}`
      : '') +
    counted
  );
}
