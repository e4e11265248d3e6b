import { formatBytes, type Policy, type RunReport, runBackups } from '@tricopy/core';
import { type GlobalOptions, withSession } from '../context.js';
import { EXIT, exitCodeFor } from '../exit-codes.js';
import { interruptible } from '../interruptible.js';
import { formatTable, printJson, printLine, shortHash } from '../output.js';
import { createProgress } from '../progress.js';

export async function backupCommand(jobs: string[], options: GlobalOptions): Promise<number> {
  return withSession(options, async (session) => {
    const progress = createProgress({
      json: options.json === true,
      quiet: options.quiet === true,
      ...(options.logFormat === 'json' ? { jsonLog: session.logger } : {}),
    });
    let report: RunReport;
    try {
      report = await interruptible('the backup', (signal) =>
        runBackups(session, [...new Set(jobs)], { events: progress.events, signal }),
      );
    } finally {
      progress.stop();
    }
    const flagged = report.runs.some((r) => r.flagged !== undefined);
    if (options.json) printJson(toJson(report));
    // --quiet (cron) prints nothing when every job succeeded, so mail comes only on trouble (a flagged dump is).
    else if (!(options.quiet && report.status === 'ok' && !flagged))
      printSummary(report, session.config.policy);
    return report.status === 'ok' && flagged ? EXIT.degraded : exitCodeFor(report.status);
  });
}

function toJson(report: RunReport) {
  return {
    status: report.status,
    runs: report.runs.map((run) => ({
      job: run.job,
      backupId: run.backupId,
      status: run.status,
      size: run.size ?? null,
      sha256: run.sha256 ?? null,
      compression: run.compression ?? null,
      encrypted: run.encrypted === true,
      recipients: run.recipients ?? [],
      startedAt: run.startedAt,
      finishedAt: run.finishedAt,
      policy: { met: run.policy.met, summary: run.policy.summary, shortfall: run.policy.shortfall },
      flagged: run.flagged ?? null,
      ...(run.error === undefined ? {} : { error: run.error }),
      copies: run.copies.map((copy) => ({
        destination: copy.destination,
        status: copy.status,
        size: copy.size ?? null,
        sha256: copy.sha256 ?? null,
        location: copy.location ?? null,
        attempts: copy.attempts,
        ...(copy.error === undefined ? {} : { error: copy.error }),
      })),
    })),
  };
}

const PLAINTEXT_WARNING =
  'not encrypted: every copy is plaintext, readable by whoever can read the destination (give the job encryption: { recipients: [age1…] }; see the README, Encryption)';

function printSummary(report: RunReport, policy: Policy): void {
  const rule = `${policy.copies}-${policy.media}-${policy.offsite}`;
  const rows = report.runs.map((run) => [
    run.job,
    run.flagged === undefined ? run.status.toUpperCase() : `${run.status.toUpperCase()} FLAGGED!`,
    run.size === undefined ? '-' : formatBytes(run.size),
    shortHash(run.sha256),
    run.copies.map((c) => `${c.destination}:${c.status === 'verified' ? 'ok' : 'FAILED'}`).join(' ') || '-',
    run.policy.met ? `${rule} ok` : `below ${rule} (${run.policy.shortfall})`,
  ]);
  printLine(formatTable(['job', 'status', 'size', 'sha256', 'copies', 'policy'], rows));
  for (const run of report.runs) {
    for (const copy of run.copies.filter((c) => c.status !== 'verified')) {
      printLine(`  ${run.job} → ${copy.destination}: ${copy.error ?? 'failed'}`);
    }
    if (run.error !== undefined && run.copies.every((c) => c.status !== 'verified'))
      printLine(`  ${run.job}: ${run.error}`);
    if (run.encrypted !== true && policy.encryption === 'warn')
      printLine(`  ${run.job}: ${PLAINTEXT_WARNING}`);
    if (run.flagged !== undefined) {
      printLine(
        `  ${run.job}: flagged: ${run.flagged}; pruning of ${run.job} is blocked until you check it and run: tricopy confirm ${run.backupId}`,
      );
    }
  }
}
