import { existsSync, realpathSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  type CatalogCopyReport,
  copyCatalog,
  isDatabaseUrl,
  openExistingSqliteCatalog,
  RECORD_TABLE_ORDER,
  type Session,
  UsageError,
} from '@tricopy/core';
import { type GlobalOptions, withSession } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { printJson, printLine } from '../output.js';

const TABLE_NAMES = {
  runs: 'runs',
  backups: 'backups',
  copies: 'copies',
  verifications: 'verification results',
  stale_episodes: 'stale-job episodes',
  wal_segments: 'archived WAL files',
  wal_copies: 'WAL copies',
} as const;

/** `tricopy catalog copy --from OLD.db`: every record of a SQLite catalog into the config's (empty) catalog. */
export async function catalogCopyCommand(options: GlobalOptions & { from: string }): Promise<number> {
  return withSession(options, async (session) => {
    const from = sourceCatalogPath(options.from, session);
    const source = openExistingSqliteCatalog(from);
    try {
      const report = await copyCatalog(source, session.catalog);
      printReport(report, from, targetName(session), options.json === true);
    } finally {
      await source.close();
    }
    return EXIT.ok;
  });
}

/** The SQLite catalog to copy from: an existing file that is not the config's own catalog. */
function sourceCatalogPath(given: string, session: Session): string {
  if (isDatabaseUrl(given)) {
    throw new UsageError(
      '--from takes the SQLite catalog file to copy; the target is the catalog: of the config (a URL here would put its password in the command line)',
    );
  }
  const path = resolve(given);
  if (!existsSync(path) || !statSync(path).isFile()) {
    throw new UsageError(`--from ${given}: no catalog file there (give the path of the old catalog.db)`);
  }
  const { catalogUrl, catalogPath } = session.config;
  if (
    catalogUrl === undefined &&
    existsSync(catalogPath) &&
    realpathSync(catalogPath) === realpathSync(path)
  ) {
    throw new UsageError(
      `--from ${given} is the config's own catalog: point catalog: in the config at the new catalog first`,
    );
  }
  return path;
}

function targetName(session: Session): string {
  const { catalogUrl, catalogPath } = session.config;
  return catalogUrl === undefined ? catalogPath : session.redact(catalogUrl);
}

function printReport(report: CatalogCopyReport, from: string, to: string, json: boolean): void {
  if (json) {
    printJson({ from, to, outcome: report.outcome, records: report.records });
    return;
  }
  const counts = RECORD_TABLE_ORDER.map((table) => `${report.records[table]} ${TABLE_NAMES[table]}`).join(
    ', ',
  );
  if (report.outcome === 'copied') {
    printLine(`copied ${counts} from ${from} to ${to}`);
    printLine(`${from} is unchanged: keep it until tricopy list and tricopy verify look right`);
  } else {
    printLine(`${to} already holds every record of ${from}, unchanged (${counts}): nothing copied`);
  }
}
