import {
  formatBytes,
  type PruneOptions,
  type PruneReport,
  pruneBackups,
  removedJobs,
  type Session,
  UsageError,
} from '@tricopy/core';
import { type GlobalOptions, withSession } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { printJson, printLine } from '../output.js';

export interface PruneCommandOptions extends GlobalOptions {
  job?: string;
  orphaned?: boolean;
  dryRun?: boolean;
}

export async function pruneCommand(options: PruneCommandOptions): Promise<number> {
  return withSession(options, async (session) => {
    const report = await pruneBackups(session, {
      ...(await selection(session, options)),
      dryRun: options.dryRun === true,
    });
    if (options.json) printJson(report);
    else printReport(report);
    if (!report.ok) return EXIT.failed;
    const blocked = report.jobs.some(
      (j) => j.skipped !== undefined && j.skipped !== 'no retention rules configured',
    );
    return blocked ? EXIT.degraded : EXIT.ok;
  });
}

/** Which jobs to prune: configured ones by their rules, removed ones (`--orphaned`, or `--job OLD`) down to one. */
async function selection(
  session: Session,
  options: PruneCommandOptions,
): Promise<Pick<PruneOptions, 'jobs' | 'removedJobs'>> {
  const removed = await removedJobs(session);
  if (options.job === undefined) return options.orphaned ? { removedJobs: removed } : {};
  if (removed.includes(options.job)) return { jobs: [], removedJobs: [options.job] };
  if (options.orphaned) throw new UsageError(`--orphaned: job ${options.job} is still in the config`);
  const job = session.job(options.job);
  if (job.retention === undefined && job.retentionByDestination === undefined) {
    throw new UsageError(`job ${options.job} has no retention rules (add jobs.${options.job}.retention)`);
  }
  return { jobs: [options.job] };
}

function printReport(report: PruneReport): void {
  if (report.jobs.length === 0)
    printLine('no job to prune (none has retention rules, or no job was removed)');
  const verb = report.dryRun ? 'would remove' : 'removed';
  for (const job of report.jobs) {
    if (job.skipped !== undefined) {
      printLine(`job ${job.job}: not pruned: ${job.skipped}`);
      continue;
    }
    for (const d of job.destinations) {
      if (d.skipped !== undefined && d.removed.length === 0) {
        printLine(`job ${job.job} on ${d.destination}: not pruned: ${d.skipped}`);
      } else {
        const removable = d.removed.filter((r) => r.status === 'deleted' || r.status === 'would-delete');
        const bytes = removable.reduce((sum, r) => sum + (r.size ?? 0), 0);
        printLine(
          `job ${job.job} on ${d.destination}: keep ${d.kept.length}, ${verb} ${removable.length} (${formatBytes(bytes)})`,
        );
        for (const r of d.removed) {
          const mark = r.status === 'deleted' || r.status === 'would-delete' ? '-' : '!';
          printLine(`  ${mark} ${r.backupId}  ${r.key}${r.error ? `  ${r.status}: ${r.error}` : ''}`);
        }
      }
      for (const key of d.foreign) printLine(`  ? ${key}  (not in the catalog: left alone)`);
    }
    if (job.wal !== undefined) {
      printLine(
        `job ${job.job} WAL: keep from ${job.wal.keptFrom ?? '-'} (the oldest retained base backup's start), ${verb} ${job.wal.removed.length} segment(s)`,
      );
      for (const error of job.wal.errors) printLine(`  ! ${error}  (left for the next prune)`);
    }
  }
  if (report.dryRun) printLine('dry run: nothing was removed');
}

export async function confirmCommand(backupId: string, options: GlobalOptions): Promise<number> {
  return withSession(options, async (session) => {
    const backup = await session.catalog.getBackup(backupId);
    if (backup === undefined)
      throw new UsageError(`no backup with id ${backupId} in the catalog (see tricopy list)`);
    if (backup.flagged === null) {
      if (options.json) printJson({ backupId, flagged: null, confirmed: false });
      else printLine(`backup ${backupId} is not flagged; nothing to confirm`);
      return EXIT.ok;
    }
    await session.catalog.confirmBackup(backupId);
    if (options.json) printJson({ backupId, flagged: backup.flagged, confirmed: true });
    else
      printLine(`backup ${backupId} confirmed (${backup.flagged}); pruning of job ${backup.job} may resume`);
    return EXIT.ok;
  });
}
