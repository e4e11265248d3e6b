import { type ForgetReport, forgetBackup } from '@tricopy/core';
import { type GlobalOptions, withSession } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { printJson, printLine } from '../output.js';

export interface ForgetCommandOptions extends GlobalOptions {
  dryRun?: boolean;
  force?: boolean;
}

export async function forgetCommand(backupId: string, options: ForgetCommandOptions): Promise<number> {
  return withSession(options, async (session) => {
    const report = await forgetBackup(session, backupId, {
      dryRun: options.dryRun === true,
      force: options.force === true,
    });
    if (options.json) printJson(report);
    else printReport(report);
    return report.ok ? EXIT.ok : EXIT.failed;
  });
}

function printReport(report: ForgetReport): void {
  const verb = report.dryRun ? 'would remove' : 'removed';
  for (const r of report.removed) {
    const done = r.status === 'deleted' || r.status === 'would-delete';
    printLine(`${done ? '-' : '!'} ${r.destination}  ${r.key}${done ? '' : `  ${r.status}: ${r.error}`}`);
  }
  const count = report.removed.filter((r) => r.status === 'deleted' || r.status === 'would-delete').length;
  printLine(`backup ${report.backupId} (job ${report.job}): ${verb} from ${count} destination(s)`);
  if (report.dryRun) printLine('dry run: nothing was removed');
  else if (report.forgotten) printLine(`backup ${report.backupId} is marked pruned in the catalog`);
  else printLine(`some copies are left (see above); run tricopy forget ${report.backupId} again`);
}
