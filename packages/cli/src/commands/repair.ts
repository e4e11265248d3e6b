import { type RepairReport, repairBackups, type Session, selectBackups } from '@tricopy/core';
import { type GlobalOptions, withSession } from '../context.js';
import { exitCodeFor } from '../exit-codes.js';
import { interruptible } from '../interruptible.js';
import { printJson, printLine } from '../output.js';

export interface RepairCommandOptions extends GlobalOptions {
  latest?: boolean;
  all?: boolean;
  job?: string;
  backfill?: boolean;
  dryRun?: boolean;
}

export async function repairCommand(
  backupId: string | undefined,
  options: RepairCommandOptions,
): Promise<number> {
  return withSession(options, async (session) => {
    const backups = await selected(session, backupId, options);
    const report = await interruptible('repair', (signal) =>
      repairBackups(session, backups, {
        backfill: options.backfill === true,
        dryRun: options.dryRun === true,
        signal,
      }),
    );
    if (options.json) printJson(report);
    else printReport(report);
    return exitCodeFor(report.result);
  });
}

/** One backup by id (even a pruned one, which is then reported), or the newest / every one not yet pruned. */
async function selected(session: Session, backupId: string | undefined, options: RepairCommandOptions) {
  const backups = await selectBackups(session, {
    ...(backupId === undefined ? {} : { backupId }),
    ...(options.latest ? { latest: true } : {}),
    ...(options.all ? { all: true } : {}),
    ...(options.job === undefined ? {} : { job: options.job }),
  });
  return backupId === undefined ? backups.filter((b) => b.prunedAt === null) : backups;
}

/** One line per backup naming its good copies, then one indented line per copy that needed (or got) work. */
function printReport(report: RepairReport): void {
  if (report.backups.length === 0) printLine('no backups to repair');
  for (const backup of report.backups) {
    const head = `backup ${backup.backupId} (job ${backup.job})`;
    if (backup.skipped !== undefined) {
      printLine(`${head}: not repaired: ${backup.skipped}`);
      continue;
    }
    const policy = backup.policy === undefined ? '' : `; ${backup.policy.summary}`;
    const good = backup.copies.filter((c) => c.status === 'good').map((c) => c.destination);
    printLine(`${head}: ${backup.result}${policy}${good.length > 0 ? `; good: ${good.join(', ')}` : ''}`);
    for (const c of backup.copies.filter((copy) => copy.status !== 'good'))
      printLine(`  ${c.destination}: ${c.status}: ${c.error ? `${c.reason}: ${c.error}` : c.reason}`);
  }
  if (report.dryRun) printLine('dry run: nothing was written');
}
