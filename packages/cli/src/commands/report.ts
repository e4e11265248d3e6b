import { dirname, resolve } from 'node:path';
import { writeFileBeside } from '@tricopy/contract';
import { buildReport, type Report, type Session, UsageError } from '@tricopy/core';
import { InvalidArgumentError } from 'commander';
import { type GlobalOptions, withSession } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { renderReportHtml } from '../report/report-html.js';
import { readingCatalog } from './list.js';

export const REPORT_FORMATS = ['json', 'html'] as const;

export interface ReportOptions extends GlobalOptions {
  since: Date;
  job?: string[];
  format: (typeof REPORT_FORMATS)[number];
  output?: string;
}

const UNIT_MS: Record<string, number> = { h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** Commander parser for `--since`: a period back from now (`90d`, `12h`, `2w`) or a UTC date (`2026-01-31`). */
export function parseSince(value: string, now: Date = new Date()): Date {
  const period = /^(\d{1,6})([hdw])$/.exec(value);
  if (period !== null)
    return new Date(now.getTime() - Number(period[1]) * (UNIT_MS[period[2] as string] ?? 0));
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const date = new Date(`${value}T00:00:00Z`);
    if (!Number.isNaN(date.getTime()) && date.toISOString().startsWith(value)) return date;
  }
  throw new InvalidArgumentError(
    'a period back from now such as 90d, 12h or 2w, or a date such as 2026-01-31',
  );
}

/** Commander parser for `--job J` (repeatable). */
export function collectJob(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** The evidence of a period, as JSON or one self-contained HTML file, on stdout or in `--output`. */
export async function reportCommand(options: ReportOptions): Promise<number> {
  return withSession(
    options,
    async (session) => {
      const report = await buildReport(session, {
        since: options.since,
        now: new Date(),
        ...(options.job === undefined ? {} : { jobs: options.job }),
      });
      refuseUnknownJobs(session, report);
      const text =
        options.format === 'html' ? renderReportHtml(report) : `${JSON.stringify(report, null, 2)}\n`;
      if (options.output === undefined) process.stdout.write(text);
      else await writeOutput(options.output, text);
      return EXIT.ok;
    },
    readingCatalog,
  );
}

/** `--output`: replaced through a new file beside it (created exclusively, never through a symlink), never half written. */
async function writeOutput(path: string, text: string): Promise<void> {
  try {
    await writeFileBeside(path, text, 0o644);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new Error(`cannot write --output ${path} (in folder ${dirname(resolve(path))}): ${code}`);
  }
}

/** A job named that the config does not have and the catalog holds nothing of in the period is a typo. */
function refuseUnknownJobs(session: Session, report: Report): void {
  for (const job of report.jobs) {
    const empty = job.backups.length + job.verifications.length + job.drills.length === 0;
    if (!job.configured && empty) {
      const known = [...session.config.jobs.keys()].join(', ') || 'none';
      throw new UsageError(
        `unknown job "${job.job}" (jobs in the config: ${known}; none in the catalog in the period)`,
      );
    }
  }
}
