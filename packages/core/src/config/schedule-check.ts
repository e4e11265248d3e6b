import { nextRuns, validateCron } from '../util/cron.js';

/** Why `timezone` is not an IANA time zone this Node knows, or undefined. */
export function timezoneProblem(timezone: string): string | undefined {
  try {
    new Intl.DateTimeFormat('en', { timeZone: timezone });
    return undefined;
  } catch {
    return `unknown time zone "${timezone}" (expected an IANA name such as Europe/Berlin or UTC)`;
  }
}

/** Why `schedule` is not a cron expression that ever runs, or undefined. */
export function scheduleProblem(schedule: string, timezone?: string): string | undefined {
  const invalid = validateCron(schedule, timezone);
  if (invalid !== undefined) {
    const reason = invalid.replace(/^CronPattern: /, '');
    return `"${schedule}" is not a cron expression: ${reason} (e.g. "0 2 * * *" is 02:00 every day)`;
  }
  if (nextRuns(schedule, timezone, new Date(), 1).length === 0)
    return `"${schedule}" never runs: no date matches it`;
  return undefined;
}
