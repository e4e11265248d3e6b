import { z } from 'zod';
import { zstdAvailable } from '../pipeline/zstd.js';
import { MAX_TIMER_MS, parseDuration } from '../util/duration.js';
import { assertionsSchema } from './assertions.js';
import { drillSchema } from './drill.js';
import { scheduleProblem, timezoneProblem } from './schedule-check.js';

export const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const NAME_MESSAGE =
  'names use letters, digits, ".", "_" and "-" (at most 64), starting with a letter or digit';

const DURATION_EXAMPLE = 'expected a duration such as 90s, 15m, 2h, 1d or seconds';

/** A duration; `positive` refuses 0, `timer` refuses what a timer cannot wait for (more than about 24 days). */
function durationSchema(rules: { positive?: boolean; timer?: boolean } = {}) {
  return z.union([z.string(), z.number()]).superRefine((value, context) => {
    const ms = parseDuration(value);
    if (ms === undefined) context.addIssue({ code: 'custom', message: DURATION_EXAMPLE });
    else if (rules.positive && ms <= 0) context.addIssue({ code: 'custom', message: 'must be more than 0' });
    else if (rules.timer && ms > MAX_TIMER_MS)
      context.addIssue({
        code: 'custom',
        message: 'must be at most 24d (the longest wait a timer can hold)',
      });
  });
}
const duration = durationSchema({ positive: true });
const timerDuration = durationSchema({ positive: true, timer: true });
const delayDuration = durationSchema({ timer: true });

/** A plugin block: `type` plus the plugin's own options, validated later by the plugin's schema. */
const pluginBlock = z.looseObject({ type: z.string().min(1, 'type is required') });

const destinationBlock = z.looseObject({
  type: z.string().min(1, 'type is required'),
  media: z.string().min(1).optional(),
  offsite: z.boolean().optional(),
});

/** age encryption of the artifact: X25519 recipients listed here and/or in a file (one a line, as age-keygen -y prints). */
export const encryptionSchema = z
  .strictObject({
    recipients: z.array(z.string()).min(1, 'list at least one recipient (age1…)').optional(),
    recipientsFile: z.string().min(1).optional(),
  })
  .refine((e) => e.recipients !== undefined || e.recipientsFile !== undefined, {
    message: 'give recipients: [age1…] or recipientsFile: PATH',
  });
export type EncryptionConfig = z.infer<typeof encryptionSchema>;

export const compressionSchema = z.enum(['auto', 'gzip', 'zstd', 'none']);
export type Compression = z.infer<typeof compressionSchema>;

export const retentionSchema = z.strictObject({
  keepLast: z.int().min(1).optional(),
  keepHourly: z.int().min(1).optional(),
  keepDaily: z.int().min(1).optional(),
  keepWeekly: z.int().min(1).optional(),
  keepMonthly: z.int().min(1).optional(),
  keepYearly: z.int().min(1).optional(),
  keepWithin: duration.optional(),
  /** Prune automatically after each successful backup. */
  auto: z.boolean().default(false),
  /** A backup smaller than this fraction of the previous one blocks pruning until confirmed. */
  shrinkThreshold: z.number().min(0).max(1).default(0.5),
});
export type Retention = z.infer<typeof retentionSchema>;

/** A share: `50%` or 0.5. `max` bounds it (1 for a share lost, none for a share gained). */
function shareSchema(max?: number) {
  const bound = max === undefined ? '' : ` (at most ${max * 100}%)`;
  return z.union([z.number(), z.string()]).transform((value, context) => {
    const share = typeof value === 'number' ? value : parsePercent(value);
    if (share === undefined || share < 0 || (max !== undefined && share > max)) {
      context.addIssue({ code: 'custom', message: `expected a share such as 50% or 0.5${bound}` });
      return z.NEVER;
    }
    return share;
  });
}

function parsePercent(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(text);
  return match === null ? undefined : Number(match[1]) / 100;
}

/** What flags a backup as anomalous against the job's previous good backup (0 turns a check off). */
export const anomaliesSchema = z.strictObject({
  /** A table that lost more than this share of its rows. */
  tableShrink: shareSchema(1).default(0.5),
  /** Tables with fewer rows than this in the previous backup are not compared (nor missed when they disappear). */
  minRows: z.int().min(0).default(100),
  /** A dump that lost more than this share of its size (when set it replaces retention.shrinkThreshold). */
  sizeShrink: shareSchema(1).optional(),
  /** A dump that grew by more than this share (`300%`: to more than 4 times the size); off unless set. */
  sizeGrowth: shareSchema().optional(),
});
export type Anomalies = z.infer<typeof anomaliesSchema>;

type Event = 'failure' | 'degraded' | 'success';
const notifyOn = (...defaults: Event[]) =>
  z.array(z.enum(['failure', 'degraded', 'success'])).default(defaults);

export const notifySchema = z.array(
  z.discriminatedUnion('type', [
    z.strictObject({
      type: z.literal('webhook'),
      url: z.url(),
      on: notifyOn('failure', 'degraded'),
      headers: z.record(z.string(), z.string()).optional(),
    }),
    z.strictObject({
      type: z.literal('command'),
      command: z.array(z.string()).min(1, 'command is a list: [program, arg, ...]'),
      on: notifyOn('failure', 'degraded'),
    }),
    z.strictObject({
      type: z.literal('healthcheck'),
      url: z.url(),
      on: notifyOn('failure', 'degraded', 'success'),
    }),
    z.strictObject({
      type: z.literal('ntfy'),
      url: z.url(),
      token: z.string().min(1).optional(),
      on: notifyOn('failure', 'degraded'),
    }),
    z.strictObject({ type: z.literal('slack'), url: z.url(), on: notifyOn('failure', 'degraded') }),
    z.strictObject({ type: z.literal('discord'), url: z.url(), on: notifyOn('failure', 'degraded') }),
    z.strictObject({
      type: z.literal('apprise'),
      urls: z.array(z.string().min(1)).min(1, 'list at least one Apprise URL, or leave urls out').optional(),
      on: notifyOn('failure', 'degraded'),
    }),
  ]),
);
export type NotifyTarget = z.infer<typeof notifySchema>[number];

const LEVELS: Readonly<Record<Compression, { max: number } | undefined>> = {
  // auto falls back to gzip where zstd is not available.
  auto: { max: zstdAvailable() ? 19 : 9 },
  zstd: { max: 19 },
  gzip: { max: 9 },
  none: undefined,
};

function compressionLevelProblem(compression: Compression, level: number | undefined): string | undefined {
  if (level === undefined) return undefined;
  const range = LEVELS[compression];
  if (range === undefined) return `compression: ${compression} takes no level; remove compressionLevel`;
  if (level > range.max) return `${compression} levels go from 1 to ${range.max}`;
  return undefined;
}

/** Rotating verification, run by the daemon: every copy re-hashed within `deep`, the latest restore-tested every `restoreTest`. */
export const rotationSchema = z.strictObject({ deep: duration.optional(), restoreTest: duration.optional() });

export const jobSchema = z
  .strictObject({
    source: pluginBlock,
    destinations: z.array(z.string().min(1)).min(1, 'a job needs at least one destination'),
    compression: compressionSchema.default('auto'),
    compressionLevel: z.int().min(1).max(19).optional(),
    /** age recipients for this job's artifacts (default: the top-level encryption). */
    encryption: encryptionSchema.optional(),
    schedule: z.string().optional(),
    timezone: z.string().optional(),
    timeout: timerDuration.optional(),
    /** The job is stale when its newest backup with a verified copy is older than this (default: policy.maxAge). */
    maxAge: duration.optional(),
    /** Rotating verification in the daemon (default: policy.verify, key by key). */
    verify: rotationSchema.optional(),
    retention: retentionSchema.optional(),
    anomalies: anomaliesSchema.optional(),
    /** Per-destination retention overrides. */
    retentionByDestination: z.record(z.string(), retentionSchema).optional(),
    notify: notifySchema.optional(),
    /** Also spool the artifact in workDir so failed copies can be retried when no other copy succeeded. */
    spool: z.boolean().default(false),
    /** SQL checks every restore test (and drill) of the job runs on the restored data. */
    assertions: assertionsSchema.optional(),
    /** A restore drill into another database or file, by hand or on a schedule. */
    drill: drillSchema.optional(),
  })
  .superRefine((job, context) => {
    const add = (path: string, message: string | undefined) => {
      if (message !== undefined) context.addIssue({ code: 'custom', path: [path], message });
    };
    add('compressionLevel', compressionLevelProblem(job.compression, job.compressionLevel));
    add('timezone', job.timezone === undefined ? undefined : timezoneProblem(job.timezone));
    if (
      job.schedule !== undefined &&
      (job.timezone === undefined || timezoneProblem(job.timezone) === undefined)
    )
      add('schedule', scheduleProblem(job.schedule, job.timezone));
    if (
      job.drill?.schedule !== undefined &&
      (job.timezone === undefined || timezoneProblem(job.timezone) === undefined)
    ) {
      const problem = scheduleProblem(job.drill.schedule, job.timezone);
      if (problem !== undefined)
        context.addIssue({ code: 'custom', path: ['drill', 'schedule'], message: problem });
    }
  });
export type JobConfig = z.infer<typeof jobSchema>;

export const policySchema = z.strictObject({
  copies: z.int().min(1).default(3),
  media: z.int().min(1).default(2),
  offsite: z.int().min(0).default(1),
  enforce: z.enum(['warn', 'error']).default('warn'),
  /** Plaintext copies: warned about (warn), a config error on offsite destinations (offsite) or anywhere (all). */
  encryption: z.enum(['warn', 'offsite', 'all']).default('warn'),
  /** Every job's maxAge unless the job sets its own. */
  maxAge: duration.optional(),
  /** Every job's rotating verification, key by key, unless the job sets its own. */
  verify: rotationSchema.optional(),
});
export type Policy = z.infer<typeof policySchema>;

export const configSchema = z.strictObject({
  destinations: z.record(z.string().regex(NAME, NAME_MESSAGE), destinationBlock),
  jobs: z.record(z.string().regex(NAME, NAME_MESSAGE), jobSchema),
  policy: policySchema.default({ copies: 3, media: 2, offsite: 1, enforce: 'warn', encryption: 'warn' }),
  /** Every job's encryption unless the job sets its own. */
  encryption: encryptionSchema.optional(),
  catalog: z.string().optional(),
  workDir: z.string().optional(),
  concurrency: z.int().min(1).max(64).default(2),
  /** A destination that takes no data for this long during a backup is given up on (and retried from a copy). */
  stallTimeout: timerDuration.default('10m'),
  retries: z
    .strictObject({
      attempts: z.int().min(0).max(20).default(3),
      minDelay: delayDuration.default('1s'),
      maxDelay: delayDuration.default('30s'),
    })
    .default({ attempts: 3, minDelay: '1s', maxDelay: '30s' }),
  notify: notifySchema.optional(),
  /** Fleet mode (a postgres:// catalog): limits across every worker. */
  fleet: z
    .strictObject({
      maxRunsPerDestination: z.int().min(1).optional(),
      maxRunsPerHost: z.int().min(1).optional(),
      /** How often a worker says it is alive; a worker silent for this long (and up to half again) is dead. */
      heartbeat: timerDuration
        .refine(
          (value) => (parseDuration(value) ?? 0) >= 10_000,
          'must be at least 10s (pg-boss checks no faster)',
        )
        .optional(),
    })
    .optional(),
});
export type RawConfig = z.infer<typeof configSchema>;
