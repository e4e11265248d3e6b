import type { Logger } from '@tricopy/contract';
import { createHumanLogger, createJsonLogger, UsageError } from '@tricopy/core';
import type { FinishedRun, QueuedRun } from '@tricopy/fleet';
import { type GlobalOptions, logLevel, openConfig } from '../context.js';
import { EXIT, exitCodeFor } from '../exit-codes.js';
import { interruptible } from '../interruptible.js';
import { formatTable, printJson, printLine } from '../output.js';
import { requireFleet } from './fleet-config.js';

export interface EnqueueOptions extends GlobalOptions {
  wait?: boolean;
}

/** Queues runs of the jobs named (all when none) for the fleet's workers; `--wait` waits for them to end. */
export async function enqueueCommand(jobs: string[], options: EnqueueOptions): Promise<number> {
  const config = requireFleet(await openConfig(options), 'enqueue');
  const names = jobs.length > 0 ? [...new Set(jobs)] : [...config.jobs.keys()];
  for (const name of names) {
    if (!config.jobs.has(name)) {
      const known = [...config.jobs.keys()].join(', ') || 'none';
      throw new UsageError(`unknown job "${name}" (jobs in the config: ${known})`);
    }
  }
  const level = logLevel(options);
  const logger: Logger =
    options.logFormat === 'json'
      ? createJsonLogger(level, config.redactor)
      : createHumanLogger(level, config.redactor);
  // Loaded here: pg-boss takes a while to load, and only fleet commands need it.
  const { enqueueRuns, startQueue, waitForRuns } = await import('@tricopy/fleet');
  const boss = await startQueue(config, 'client', logger);
  try {
    const queued = await enqueueRuns(boss, config, names);
    if (!options.wait) {
      if (options.json) printJson({ runs: queued });
      else printQueued(queued);
      return EXIT.ok;
    }
    if (!options.json && !options.quiet) printQueued(queued);
    const finished = await interruptible('waiting for the queued runs', (signal) =>
      waitForRuns(boss, queued, signal, (run, reason) =>
        logger.warn(`job ${run.job}: still waiting, an attempt failed and will be retried: ${reason}`, {
          job: run.job,
          event: 'run-retry',
        }),
      ),
    );
    const status = worst(finished);
    if (options.json) printJson({ status, runs: finished });
    else if (!(options.quiet && status === 'ok')) printFinished(finished);
    return exitCodeFor(status);
  } finally {
    await boss.stop({ graceful: false });
  }
}

function statusOf(run: FinishedRun): 'ok' | 'degraded' | 'failed' {
  return run.output?.status ?? 'failed';
}

function worst(runs: readonly FinishedRun[]): 'ok' | 'degraded' | 'failed' {
  const statuses = runs.map(statusOf);
  if (statuses.includes('failed')) return 'failed';
  if (statuses.includes('degraded')) return 'degraded';
  return 'ok';
}

function printQueued(runs: readonly QueuedRun[]): void {
  for (const run of runs)
    printLine(
      run.queued
        ? `queued ${run.job} (${run.id})`
        : `${run.job} is already queued or running${run.id === undefined ? '' : ` (${run.id})`}: not queued again`,
    );
}

function printFinished(runs: readonly FinishedRun[]): void {
  printLine(
    formatTable(
      ['job', 'status', 'backup', 'worker'],
      runs.map((r) => [r.job, statusOf(r).toUpperCase(), r.output?.backupId ?? '-', r.output?.worker ?? '-']),
    ),
  );
  for (const run of runs) {
    const error = run.output?.error ?? run.error;
    if (error !== undefined) printLine(`  ${run.job}: ${error}`);
  }
}
