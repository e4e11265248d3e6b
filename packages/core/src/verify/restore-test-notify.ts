import { notifyPayload } from '../notify/notify.js';
import type { Session } from '../session/session.js';
import { redactStrings } from '../util/redactor.js';
import type { RestoreTestVerification } from './restore-test.js';

/**
 * Tells the job's `notify` targets that want failures that a restore test failed (the payload's `event` is
 * `restore-test`), naming the copy read and why: the failed assertions with their queries and values. Never throws.
 */
export async function notifyRestoreTestFailed(
  session: Session,
  test: RestoreTestVerification,
): Promise<void> {
  const targets = session.config.jobs.get(test.job)?.notify ?? [];
  if (targets.length === 0) return;
  const redact = (text: string) => session.redact(text);
  const payload = {
    text: `❌ tricopy job ${test.job}: RESTORE TEST FAILED (${test.status}) for backup ${test.backupId}${test.error === undefined ? '' : `: ${test.error}`}`,
    event: 'restore-test',
    job: test.job,
    backupId: test.backupId,
    destination: test.destination ?? null,
    status: test.status,
    error: test.error ?? null,
    assertions: test.assertions ?? [],
  };
  await notifyPayload(
    targets,
    'failure',
    `restore test of ${test.backupId}`,
    redactStrings(payload, redact) as Record<string, unknown>,
    { logger: session.logger, redact },
  );
}
