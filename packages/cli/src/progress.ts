import { createRequire } from 'node:module';
import { pipeline, type Readable, Transform } from 'node:stream';
import type { Logger } from '@tricopy/contract';
import type { BackupEvents, JobResult } from '@tricopy/core';
import { createJsonLogger, formatBytes, Redactor, terminalSafe } from '@tricopy/core';
import type cliProgress from 'cli-progress';
import type { GlobalOptions } from './context.js';

/** cli-progress, loaded only when bars are drawn (a terminal): --quiet, --json and piped runs never need it. */
const loadCliProgress = (): typeof cliProgress => createRequire(import.meta.url)('cli-progress');

type ProgressMode = { json: boolean; quiet: boolean; jsonLog?: Logger };

/** The progress mode of a command's options; with --log-format json, progress lines are JSON log records. */
export function progressMode(options: GlobalOptions): ProgressMode {
  return {
    json: options.json === true,
    quiet: options.quiet === true,
    ...(options.logFormat === 'json' ? { jsonLog: createJsonLogger('info', new Redactor()) } : {}),
  };
}

/**
 * Live progress on stderr: on a terminal, one line per job with bytes and rate (cli-progress); otherwise plain lines
 * when a job starts, every `intervalMs` while it runs, and when it ends, or log records through `jsonLog`
 * (--log-format json). Silent in --json and --quiet mode.
 */
export function createProgress(
  mode: ProgressMode,
  options: ReadProgressOptions = {},
): {
  events: BackupEvents;
  stop(): void;
} {
  const out = options.out ?? process.stderr;
  if (mode.json || mode.quiet) return { events: {}, stop() {} };
  if (mode.jsonLog !== undefined) return logProgress(mode.jsonLog);
  if (!out.isTTY) return plainProgress(out, options.intervalMs ?? 10_000);
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

function plainProgress(
  out: NodeJS.WritableStream,
  intervalMs: number,
): { events: BackupEvents; stop(): void } {
  const timers = new Map<string, NodeJS.Timeout>();
  const clear = (job: string) => {
    clearInterval(timers.get(job));
    timers.delete(job);
  };
  return {
    events: {
      onJobStart: ({ job, backupId, destinations, bytes }) => {
        out.write(`job ${job}: backup ${backupId} to ${destinations.join(', ')}\n`);
        const started = Date.now();
        const timer = setInterval(() => {
          const seconds = Math.max((Date.now() - started) / 1000, 0.001);
          out.write(`job ${job}: ${formatBytes(bytes())} so far (${formatBytes(bytes() / seconds)}/s)\n`);
        }, intervalMs);
        timer.unref();
        timers.set(job, timer);
      },
      onJobDone: (result) => {
        clear(result.job);
        out.write(`${terminalSafe(describeResult(result))}\n`);
      },
    },
    stop() {
      for (const job of [...timers.keys()]) clear(job);
    },
  };
}

function barProgress(): { events: BackupEvents; stop(): void } {
  const cliProgress = loadCliProgress();
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

/** Counts the bytes of streams read from stored copies and shows them: a bar per read on a TTY, else lines. */
export interface ReadProgress {
  /** Returns a stream with the same bytes as `stream`, counted under `label`; `total` is the expected size. */
  track(stream: Readable, label: string, total: number): Readable;
  stop(): void;
}

export interface ReadProgressOptions {
  /** Seconds between lines when stderr is not a terminal. */
  readonly intervalMs?: number;
  readonly out?: NodeJS.WritableStream & { isTTY?: boolean };
}

/** Progress of reads on stderr (`restore`, `verify --deep`, `--restore-test`); nothing with --json or --quiet. */
export function createReadProgress(mode: ProgressMode, options: ReadProgressOptions = {}): ReadProgress {
  const out = options.out ?? process.stderr;
  const intervalMs = options.intervalMs ?? 10_000;
  if (mode.json || mode.quiet) return { track: (stream) => stream, stop() {} };
  const logger = mode.jsonLog;
  if (logger !== undefined) return readLines((line) => logger.info(line, { event: 'progress' }), intervalMs);
  return out.isTTY ? readBars(out) : readLines((line) => out.write(`${terminalSafe(line)}\n`), intervalMs);
}

function counted(stream: Readable, onBytes: (n: number) => void, onEnd: () => void) {
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      onBytes(chunk.length);
      done(null, chunk);
    },
  });
  pipeline(stream, counter, () => onEnd());
  return counter;
}

function readLines(write: (line: string) => void, intervalMs: number): ReadProgress {
  const timers = new Set<NodeJS.Timeout>();
  return {
    track(stream, label, total) {
      const started = Date.now();
      let bytes = 0;
      const line = (state: string) => {
        const seconds = Math.max((Date.now() - started) / 1000, 0.001);
        write(
          `${label}: ${formatBytes(bytes)} of ${formatBytes(total)} (${percent(bytes, total)}, ${formatBytes(bytes / seconds)}/s)${state}`,
        );
      };
      write(`${label}: ${formatBytes(total)}`);
      const timer = setInterval(() => line(''), intervalMs);
      timer.unref();
      timers.add(timer);
      return counted(
        stream,
        (n) => {
          bytes += n;
        },
        () => {
          clearInterval(timer);
          timers.delete(timer);
          line(bytes >= total ? ' done' : ' stopped');
        },
      );
    },
    stop() {
      for (const timer of timers) clearInterval(timer);
    },
  };
}

function readBars(out: NodeJS.WritableStream): ReadProgress {
  const cliProgress = loadCliProgress();
  const bars = new cliProgress.MultiBar(
    {
      format: ' {label} |{bar}| {percentage}% | {done} of {size} | {rate}',
      barsize: 20,
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
      fps: 5,
      stream: out,
    },
    cliProgress.Presets.shades_classic,
  );
  let stopped = false;
  return {
    track(stream, label, total) {
      const started = Date.now();
      let bytes = 0;
      const bar = bars.create(Math.max(total, 1), 0, {
        label: terminalSafe(label),
        done: '0 B',
        size: formatBytes(total),
        rate: '-',
      });
      const update = () => {
        const seconds = Math.max((Date.now() - started) / 1000, 0.001);
        bar.update(Math.min(bytes, total), {
          done: formatBytes(bytes),
          rate: `${formatBytes(bytes / seconds)}/s`,
        });
      };
      return counted(
        stream,
        (n) => {
          bytes += n;
          update();
        },
        update,
      );
    },
    stop() {
      if (stopped) return;
      stopped = true;
      bars.stop();
    },
  };
}

function percent(bytes: number, total: number): string {
  return total > 0 ? `${Math.min(100, Math.floor((bytes / total) * 100))}%` : '-';
}
