import { formatBytes, type RunReport, runBackups } from '@tricopy/core';
import { type GlobalOptions, withSession } from '../context.js';
import { exitCodeFor } from '../exit-codes.js';
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
    if (options.json) printJson(toJson(report));
    // --quiet (cron) prints nothing when every job succeeded, so mail comes only on trouble.
    else if (!(options.quiet && report.status === 'ok')) printSummary(report);
    return exitCodeFor(report.status);
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
      startedAt: run.startedAt,
      finishedAt: run.finishedAt,
      policy: { met: run.policy.met, summary: run.policy.summary, shortfall: run.policy.shortfall },
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

function printSummary(report: RunReport): void {
  const rows = report.runs.map((run) => [
    run.job,
    run.status.toUpperCase(),
    run.size === undefined ? '-' : formatBytes(run.size),
    shortHash(run.sha256),
    run.copies.map((c) => `${c.destination}:${c.status === 'verified' ? 'ok' : 'FAILED'}`).join(' ') || '-',
    run.policy.met ? '3-2-1 ok' : `below policy (${run.policy.shortfall})`,
  ]);
  printLine(formatTable(['job', 'status', 'size', 'sha256', 'copies', 'policy'], rows));
  for (const run of report.runs) {
    for (const copy of run.copies.filter((c) => c.status !== 'verified')) {
      printLine(`  ${run.job} → ${copy.destination}: ${copy.error ?? 'failed'}`);
    }
    if (run.error !== undefined && run.copies.every((c) => c.status !== 'verified'))
      printLine(`  ${run.job}: ${run.error}`);
  }
}
