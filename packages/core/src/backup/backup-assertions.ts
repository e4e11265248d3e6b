import type { Source } from '@tricopy/contract';
import type { RecordedAssertion } from '../manifest/manifest.js';
import type { RunContext } from '../store/backup-run.js';
import { describeError } from '../util/errors.js';

/**
 * Runs the job's `sameAsBackup` assertions on its database, just before the dump, for the manifest. A query that
 * fails is recorded with its error and logged as a warning: it fails the restore tests of this backup, not the backup.
 */
export async function recordAssertionValues(run: RunContext, source: Source): Promise<RecordedAssertion[]> {
  const recorded: RecordedAssertion[] = [];
  for (const { name, sql, check } of run.job.assertions ?? []) {
    if (check.kind !== 'sameAsBackup') continue;
    run.signal.throwIfAborted();
    try {
      if (source.query === undefined) throw new Error(`the ${run.job.source.type} source cannot run queries`);
      recorded.push({ name, sql, value: await source.query(sql, { signal: run.signal }) });
    } catch (error) {
      const why = run.session.redact(describeError(error));
      run.session.logger.warn(`job ${run.job.name}: assertion "${name}" could not be recorded: ${why}`);
      recorded.push({ name, sql, value: null, error: why });
    }
  }
  return recorded;
}
