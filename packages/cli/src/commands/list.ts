import { type BackupRow, evaluatePolicy, formatBytes, type Session } from '@tricopy/core';
import { type GlobalOptions, withSession } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { formatTable, printJson, printLine, shortHash } from '../output.js';

export async function listCommand(options: GlobalOptions & { job?: string }): Promise<number> {
  return withSession(options, async (session) => {
    if (options.job !== undefined) session.job(options.job);
    const backups = session.catalog.listBackups(options.job === undefined ? {} : { job: options.job });
    const items = backups.map((backup) => describeBackup(session, backup));
    if (options.json) {
      printJson({ backups: items });
      return EXIT.ok;
    }
    if (items.length === 0) {
      printLine('no backups in the catalog yet (run tricopy backup)');
      return EXIT.ok;
    }
    printLine(
      formatTable(
        ['backup', 'job', 'status', 'size', 'sha256', 'copies', 'policy', 'last verified'],
        items.map((b) => [
          b.backupId,
          b.job,
          b.prunedAt === null ? b.status : 'pruned',
          b.size === null ? '-' : formatBytes(b.size),
          shortHash(b.sha256),
          b.copies.map((c) => `${c.destination}:${c.status}`).join(' ') || '-',
          b.policy.met ? 'ok' : `below (${b.policy.shortfall})`,
          b.lastVerified === null
            ? 'never'
            : `${b.lastVerified.at} ${b.lastVerified.level} ${b.lastVerified.status}`,
        ]),
      ),
    );
    return EXIT.ok;
  });
}

function describeBackup(session: Session, backup: BackupRow) {
  const copies = session.catalog.listCopies(backup.id);
  const verified = copies
    .filter((c) => c.status === 'verified')
    .flatMap((c) => {
      const spec = session.config.destinations.get(c.destination);
      return spec === undefined ? [] : [{ media: spec.media, offsite: spec.offsite }];
    });
  const policy = evaluatePolicy(verified, session.config.policy);
  const last = session.catalog.lastVerification(backup.id);
  return {
    backupId: backup.id,
    job: backup.job,
    status: backup.status,
    startedAt: backup.startedAt,
    finishedAt: backup.finishedAt,
    size: backup.size,
    sha256: backup.sha256,
    compression: backup.compression,
    format: backup.format,
    error: backup.error,
    flagged: backup.flagged,
    prunedAt: backup.prunedAt,
    policy: { met: policy.met, summary: policy.summary, shortfall: policy.shortfall },
    lastVerified: last === undefined ? null : { at: last.checkedAt, level: last.level, status: last.status },
    copies: copies.map((c) => ({
      destination: c.destination,
      status: c.status,
      size: c.size,
      sha256: c.sha256,
      location: c.location,
      error: c.error,
    })),
  };
}
