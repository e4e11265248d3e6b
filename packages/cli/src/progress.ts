import type { Logger } from '@tricopy/contract';
import type { BackupEvents, JobResult } from '@tricopy/core';
import { formatBytes } from '@tricopy/core';
import cliProgress from 'cli-progress';

/**
 * Live progress on stderr: on a terminal, one line per job with bytes and rate (cli-progress); otherwise plain lines
 * when a job starts and ends, or log records through `jsonLog` (--log-format json). Silent in --json and --quiet mode.
 */
export function createProgress(mode: { json: boolean; quiet: boolean; jsonLog?: Logger }): {
  events: BackupEvents;
  stop(): void;
} {
  if (mode.json || mode.quiet) return { events: {}, stop() {} };
  if (mode.jsonLog !== undefined) return logProgress(mode.jsonLog);
  if (!process.stderr.isTTY) return plainProgress();
  return barProgress();
}

function logProgress(logger: Logger): { events: BackupEvents; stop(): void } {
  return {
    events: {
      onJobStart: ({ job, backupId, destinations }) =>
        logger.info(`job ${job}: backup ${backupId} to ${destinations.join(', ')}`, {
          job,
          backupId,
          destinations,
        }),
      onJobDone: (result) => {
        const fields = { job: result.job, backupId: result.backupId, status: result.status };
        if (result.status === 'ok') logger.info(describeResult(result), fields);
        else logger.error(describeResult(result), fields);
      },
    },
    stop() {},
  };
}

function plainProgress(): { events: BackupEvents; stop(): void } {
  return {
    events: {
      onJobStart: ({ job, backupId, destinations }) =>
        process.stderr.write(`job ${job}: backup ${backupId} to ${destinations.join(', ')}\n`),
      onJobDone: (result) => process.stderr.write(`${describeResult(result)}\n`),
    },
    stop() {},
  };
}

function barProgress(): { events: BackupEvents; stop(): void } {
  const bars = new cliProgress.MultiBar(
    {
      format: ' {job} | {bytes} | {rate} | {state}',
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  const barsByJob = new Map<string, { bar: cliProgress.SingleBar; timer: NodeJS.Timeout }>();
  return {
    events: {
      onJobStart: ({ job, destinations, bytes }) => {
        const started = Date.now();
        const bar = bars.create(1, 0, {
          job,
          bytes: '0 B',
          rate: '-',
          state: `→ ${destinations.join(', ')}`,
        });
        const timer = setInterval(() => {
          const seconds = Math.max((Date.now() - started) / 1000, 0.001);
          bar.update(0, { bytes: formatBytes(bytes()), rate: `${formatBytes(bytes() / seconds)}/s` });
        }, 200);
        barsByJob.set(job, { bar, timer });
      },
      onJobDone: (result) => {
        const entry = barsByJob.get(result.job);
        if (entry === undefined) return;
        clearInterval(entry.timer);
        entry.bar.update(1, {
          bytes: result.size === undefined ? '-' : formatBytes(result.size),
          state: result.status,
        });
      },
    },
    stop() {
      for (const { timer } of barsByJob.values()) clearInterval(timer);
      bars.stop();
    },
  };
}

export function describeResult(result: JobResult): string {
  const copies = result.copies
    .map((c) => `${c.destination} ${c.status === 'verified' ? 'verified' : 'FAILED'}`)
    .join(', ');
  const size = result.size === undefined ? '' : ` ${formatBytes(result.size)}`;
  const error = result.error === undefined ? '' : `: ${result.error}`;
  return `job ${result.job}: ${result.status}${size}${copies ? ` (${copies})` : ''}${error}`;
}
