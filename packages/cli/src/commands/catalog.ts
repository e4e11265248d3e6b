import { rebuildCatalog } from '@tricopy/core';
import { type GlobalOptions, withSession } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { printJson, printLine } from '../output.js';

export async function catalogRebuildCommand(options: GlobalOptions & { from: string }): Promise<number> {
  return withSession(options, async (session) => {
    session.destinationSpec(options.from);
    const report = await rebuildCatalog(session, options.from);
    if (options.json) printJson(report);
    else {
      printLine(`imported ${report.imported.length} backup(s) from ${report.destination}`);
      for (const problem of report.problems) printLine(`  problem: ${problem}`);
      if (report.imported.length > 0)
        printLine(
          'copies the manifests name on other destinations were recorded only where checked there: run tricopy verify --all',
        );
    }
    return report.problems.length === 0 ? EXIT.ok : EXIT.degraded;
  });
}
