// The rows of a large catalog as SQL that both sqlite3 and psql accept, for the metrics benchmark: per job, BACKUPS
// backups an hour apart (the newest first), mostly ok, some degraded, failed or still running; the oldest third
// pruned; 3 copies each (verified, some failed or deleted) and their verifications (the backup's own cross-check, a
// stat of every copy, a deep check of the newest, a restore test now and then).

const HOUR = 3_600_000;
const ROWS_PER_INSERT = 500;
const DESTINATIONS = ['near', 'usb', 'far'];

const quote = (value: string | number | null) =>
  value === null ? 'NULL' : typeof value === 'number' ? String(value) : `'${value.replaceAll("'", "''")}'`;

function inserts(
  table: string,
  columns: readonly string[],
  rows: readonly (string | number | null)[][],
): string {
  const out: string[] = [];
  for (let start = 0; start < rows.length; start += ROWS_PER_INSERT) {
    const values = rows.slice(start, start + ROWS_PER_INSERT).map((row) => `(${row.map(quote).join(', ')})`);
    out.push(`INSERT INTO ${table} (${columns.join(', ')}) VALUES\n${values.join(',\n')};`);
  }
  return out.join('\n');
}

function statusOf(job: number, n: number): string {
  if (n === 0 && job % 50 === 7) return 'running';
  const k = (job * 31 + n * 17) % 40;
  return k === 0 ? 'failed' : k === 1 ? 'degraded' : 'ok';
}

export function fillStatements(jobs: readonly string[], backupsPerJob: number, now: Date): string {
  const backups: (string | number | null)[][] = [];
  const copies: (string | number | null)[][] = [];
  const verifications: (string | number | null)[][] = [];
  const at = (ms: number) => new Date(ms).toISOString();
  jobs.forEach((job, j) => {
    for (let n = 0; n < backupsPerJob; n++) {
      const id = `${job}-${String(n).padStart(4, '0')}`;
      const started = now.getTime() - (n + 1) * HOUR - j * 1000;
      const status = statusOf(j, n);
      const finished = status === 'running' ? null : at(started + 90_000);
      const pruned = n >= (2 * backupsPerJob) / 3 ? at(now.getTime() - HOUR) : null;
      const size = status === 'failed' || status === 'running' ? null : 10_000_000 + j * 1000 + n;
      backups.push([id, job, status, at(started), finished, 'sqlite', size, pruned]);
      if (size === null) continue;
      DESTINATIONS.forEach((destination, d) => {
        const copyStatus = pruned !== null ? 'deleted' : (j + n + d) % 29 === 0 ? 'failed' : 'verified';
        copies.push([id, destination, copyStatus, `${job}/${id}/${destination}`, size, 1, finished]);
        verifications.push([id, destination, 'backup', 'ok', finished]);
        verifications.push([
          id,
          destination,
          'stat',
          copyStatus === 'failed' ? 'failed' : 'ok',
          at(started + HOUR),
        ]);
        if (n === 0) verifications.push([id, destination, 'deep', 'ok', at(started + 2 * HOUR)]);
        if (n % 24 === 3 && d === 0)
          verifications.push([id, destination, 'restore-test', 'ok', at(started + HOUR)]);
      });
    }
  });
  return [
    'BEGIN;',
    inserts(
      'backups',
      ['id', 'job', 'status', 'started_at', 'finished_at', 'source_type', 'size', 'pruned_at'],
      backups,
    ),
    inserts(
      'copies',
      ['backup_id', 'destination', 'status', 'key', 'size', 'attempts', 'updated_at'],
      copies,
    ),
    inserts('verifications', ['backup_id', 'destination', 'level', 'status', 'checked_at'], verifications),
    'COMMIT;',
  ].join('\n');
}
