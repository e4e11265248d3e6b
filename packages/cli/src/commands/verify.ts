import { type Session, selectBackups, shownLevel, type VerifyLevel, verifyBackups } from '@tricopy/core';
import { type GlobalOptions, withSession } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { interruptible } from '../interruptible.js';
import { MeteredSession } from '../metered-session.js';
import { formatTable, printJson, printLine, shortHash } from '../output.js';
import { createReadProgress, progressMode } from '../progress.js';

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
  const report = await interruptible('verify', (signal) =>
    verifyBackups(session, backups, level, { signal }),
  ).finally(readsDone);
  if (options.json) {
    printJson({
      ok: report.ok,
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
    for (const test of report.restoreTests) {
      const differing = test.tables.filter((t) => t.exact && t.expected !== t.actual);
      printLine(
        `restore test of ${test.backupId} (${test.job}) from ${test.destination ?? '-'}: ${test.status}` +
          (test.error ? `: ${test.error}` : `, ${test.tables.length} tables compared`) +
          (differing.length > 0
            ? `; differing: ${differing.map((t) => `${t.name} ${t.actual ?? 'missing'}≠${t.expected ?? 'none'}`).join(', ')}`
            : ''),
      );
    }
  }
  if (report.ok) return EXIT.ok;
  const anyGood = report.copies.some((c) => c.status === 'ok');
  return anyGood && report.restoreTests.every((r) => r.status === 'ok') ? EXIT.degraded : EXIT.failed;
}
