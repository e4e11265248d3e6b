import {
  alertStaleJobs,
  type CheckReport,
  checkConfig,
  type JobStatus,
  jobStatus,
  type Session,
  staleReason,
} from '@tricopy/core';
import { type GlobalOptions, withSession } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { formatTable, printJson, printLine } from '../output.js';
import { walContinuityLines } from './wal-lines.js';

export async function checkCommand(jobs: string[], options: GlobalOptions): Promise<number> {
  return withSession(options, async (session) => {
    const report = await checkConfig(session, jobs.length > 0 ? [...new Set(jobs)] : undefined);
    const enforce = session.config.policy.enforce;
    const stale = await staleJobs(session, report);
    if (options.json)
      printJson({
        ...report,
        ok: report.ok && stale.length === 0,
        policy: session.config.policy,
        stale: stale.map(staleJson),
      });
    else {
      printReport(report, enforce, session.config.file);
      printEncryption(report, session.config.policy.encryption);
      printNotifyUnusable(report);
      printWal(report);
      printStale(stale);
    }
    return report.ok && stale.length === 0 ? EXIT.ok : EXIT.failed;
  });
}

function printReport(report: CheckReport, enforce: 'warn' | 'error', file: string): void {
  printLine(`config ${file}: valid`);
  printLine();
  printLine(
    formatTable(
      ['destination', 'type', 'media', 'offsite', 'probe'],
      report.destinations.map((d) => [
        d.destination,
        d.type,
        d.media,
        d.offsite ? 'yes' : 'no',
        d.ok ? (d.note === undefined ? 'ok' : `ok: ${d.note}`) : `FAILED: ${d.error}`,
      ]),
    ),
  );
  printLine();
  printLine(
    formatTable(
      ['job', 'source', 'check'],
      report.sources.map((s) => [
        s.job,
        s.description ?? '-',
        s.ok
          ? `ok (${s.status?.engine} ${s.status?.engineVersion}${s.status?.toolVersion ? `, tool ${s.status.toolVersion}` : ''})`
          : `FAILED: ${s.error}`,
      ]),
    ),
  );
  printRestoreNeeds(report);
  printLine();
  printLine(
    formatTable(
      ['job', '3-2-1', 'details'],
      report.jobs.map((j) => [
        j.job,
        j.policy.met ? 'ok' : enforce === 'error' ? 'REFUSED' : 'WARNING',
        (j.policy.met ? j.policy.summary : j.policy.shortfall) +
          (j.unreachable.length > 0 ? `; unreachable now: ${j.unreachable.join(', ')}` : ''),
      ]),
    ),
  );
}

/** What restores need that a source's user lacks: a warning for a job with restore tests, else a note. */
function printRestoreNeeds(report: CheckReport): void {
  for (const s of report.sources) {
    for (const need of s.status?.restoreNeeds ?? []) {
      printLine(
        s.restoreTests
          ? `WARNING job ${s.job}: its restore tests (verify.restoreTest) will fail: ${need}`
          : `note job ${s.job}: restores and restore tests will fail: ${need}`,
      );
    }
  }
}

/** Each job's encryption; under policy.encryption: warn, a plaintext job is a warning (else it is a config error). */
function printEncryption(report: CheckReport, policy: 'warn' | 'offsite' | 'all'): void {
  printLine();
  printLine(
    formatTable(
      ['job', 'encryption', 'details'],
      report.jobs.map((j) =>
        j.recipients.length > 0
          ? [j.job, 'age', `to ${j.recipients.join(', ')}`]
          : [
              j.job,
              policy === 'warn' ? 'WARNING' : 'plaintext',
              'not encrypted: copies are plaintext (give the job encryption: { recipients: [age1…] })',
            ],
      ),
    ),
  );
}

/** The checked jobs that are stale (past their maxAge); notifies once per episode. */
async function staleJobs(session: Session, report: CheckReport): Promise<JobStatus[]> {
  const now = session.now();
  const statuses: JobStatus[] = [];
  for (const j of report.jobs) statuses.push(await jobStatus(session, j.job, now));
  await alertStaleJobs(session, statuses, {
    logger: session.logger,
    redact: (text) => session.redact(text),
  });
  return statuses.filter((s) => s.staleness.stale);
}

function staleJson(status: JobStatus) {
  return { job: status.job, reason: staleReason(status.staleness), ...status.staleness };
}

function printNotifyUnusable(report: CheckReport): void {
  const lines = report.jobs.flatMap((j) =>
    j.notifyUnusable.map((reason) => `FAILED job ${j.job}: notification target left out: ${reason}`),
  );
  if (lines.length === 0) return;
  printLine();
  for (const line of lines) printLine(line);
}

function printWal(report: CheckReport): void {
  const lines = report.jobs.flatMap((j) => (j.wal === undefined ? [] : walContinuityLines(j.job, j.wal)));
  if (lines.length === 0) return;
  printLine();
  for (const line of lines) printLine(line);
}

function printStale(stale: readonly JobStatus[]): void {
  if (stale.length === 0) return;
  printLine();
  for (const s of stale) printLine(`STALE job ${s.job}: ${staleReason(s.staleness)}`);
}
