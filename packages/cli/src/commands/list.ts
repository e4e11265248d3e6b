import {
  type BackupRow,
  backupIsAlive,
  formatBytes,
  jobStatus,
  Session,
  staleReason,
  walStaleReason,
} from '@tricopy/core';
import { type Command, InvalidArgumentError } from 'commander';
import { type GlobalOptions, withSession } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { formatTable, printJson, printLine, shortHash } from '../output.js';
import { type BackupView, describeBackup, type ListState } from './list-view.js';

export const LIST_STATES: readonly ListState[] = [
  'ok',
  'degraded',
  'failed',
  'running',
  'interrupted',
  'pruned',
  'flagged',
];

export interface ListOptions extends GlobalOptions {
  job?: string;
  all?: boolean;
  limit?: number;
  status?: ListState[];
  wide?: boolean;
}

export function addListOptions(command: Command): Command {
  return command
    .option('--job <job>', 'only this job')
    .option('--all', 'every backup, pruned ones too (default: the newest, and the newest good one, per job)')
    .option('--limit <n>', 'the newest N backups of each job', parseLimit)
    .option(
      '--status <status>',
      `only backups in this state (${LIST_STATES.join(', ')}; repeatable)`,
      parseStatus,
    )
    .option('--wide', 'every column: sha256, each copy, policy shortfall, full times');
}

/** Commander parser for `--limit N`. */
export function parseLimit(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('a whole number of at least 1');
  return n;
}

/** Commander parser for `--status S` (repeatable, or comma-separated). */
export function parseStatus(value: string, previous: ListState[] = []): ListState[] {
  const states = value.split(',').map((s) => s.trim());
  for (const state of states) {
    if (!LIST_STATES.includes(state as ListState))
      throw new InvalidArgumentError(`one of ${LIST_STATES.join(', ')}`);
  }
  return [...previous, ...(states as ListState[])];
}

/**
 * Backups, newest first. A person sees, per job, the newest backup (and the newest good one if that is not it), in
 * 100 columns; `--all`, `--limit`, `--status` and `--wide` show more. `--json` lists every backup with every field
 * unless narrowed by `--job`, `--status` or `--limit`.
 */
export async function listCommand(options: ListOptions): Promise<number> {
  return withSession(options, listBackupsIn(options), readingCatalog);
}

/** A session that only reads the catalog: a catalog on a read-only file system is listed too. */
export const readingCatalog = (o: ConstructorParameters<typeof Session>[0]) =>
  new Session({ ...o, readOnlyCatalog: true });

function listBackupsIn(options: ListOptions): (session: Session) => Promise<number> {
  return async (session) => {
    const rows = await session.catalog.listBackups(options.job === undefined ? {} : { job: options.job });
    // A job removed from the config is still listed while the catalog has backups of it.
    if (options.job !== undefined && rows.length === 0) session.job(options.job);
    const alive = await liveRunning(session, rows);
    const all: BackupView[] = [];
    for (const backup of rows) all.push(await describeBackup(session, backup, alive.get(backup.id)));
    const items = choose(all, options);
    const { stale, recovery } = await jobSummaries(session, options.job);
    if (options.json) {
      printJson({ backups: items, stale, recovery });
      return EXIT.ok;
    }
    if (all.length === 0) {
      printLine('no backups in the catalog yet (run tricopy backup)');
      printStale(stale);
      return EXIT.ok;
    }
    // One job asked for by name: its name is shown whole (the table holds one name, not one per job).
    const jobName = options.job === undefined ? shortJob : (job: string) => job;
    printLine(options.wide ? wideTable(items, session.now()) : narrowTable(items, session.now(), jobName));
    const hidden = all.length - items.length;
    if (hidden > 0) {
      printLine(
        `(${hidden} older or pruned backup(s) not shown: --all, --limit N per job, --status S, --wide)`,
      );
    }
    for (const r of recovery) printLine(recoveryLine(r, jobName));
    printStale(stale, jobName);
    return EXIT.ok;
  };
}

/** A job's point-in-time recovery window, as `list --json` gives it. */
interface RecoverySummary {
  readonly job: string;
  readonly earliest: string | null;
  readonly latest: string | null;
  readonly windowSeconds: number | null;
  readonly lastWalStoredAt: string | null;
  readonly walStale: boolean;
}

/** Configured jobs (or `job`) past their maxAge or whose WAL stopped arriving, with why; and each PITR window. */
async function jobSummaries(
  session: Session,
  job: string | undefined,
): Promise<{ stale: { job: string; reason: string }[]; recovery: RecoverySummary[] }> {
  const names =
    job === undefined ? [...session.config.jobs.keys()] : session.config.jobs.has(job) ? [job] : [];
  const now = session.now();
  const stale: { job: string; reason: string }[] = [];
  const recovery: RecoverySummary[] = [];
  for (const name of names) {
    const s = await jobStatus(session, name, now);
    if (s.staleness.stale) stale.push({ job: s.job, reason: staleReason(s.staleness) });
    if (s.wal === null) continue;
    if (s.wal.stale) stale.push({ job: s.job, reason: `WAL: ${walStaleReason(s.wal, now)}` });
    recovery.push({
      job: s.job,
      earliest: s.wal.window?.earliest ?? null,
      latest: s.wal.window?.latest ?? null,
      windowSeconds: s.wal.windowSeconds,
      lastWalStoredAt: s.wal.lastStoredAt,
      walStale: s.wal.stale,
    });
  }
  return { stale, recovery };
}

/** `PITR app: recoverable 2026-12-06 10:02:30Z .. 2026-12-06 10:05:00Z (restore --job app --time T)`. */
function recoveryLine(r: RecoverySummary, jobName: (job: string) => string): string {
  if (r.earliest === null || r.latest === null) return `PITR ${jobName(r.job)}: no base backup yet`;
  // Whole seconds inside the window: the earliest rounded up, the latest down.
  const earliest = seconds(Math.ceil(Date.parse(r.earliest) / 1000));
  const latest = seconds(Math.floor(Date.parse(r.latest) / 1000));
  return `PITR ${jobName(r.job)}: recoverable ${earliest} .. ${latest} (restore --time T --to DIR)`;
}

/** `2026-12-06 10:02:30+00`, as --time takes it. */
function seconds(unix: number): string {
  return `${new Date(unix * 1000).toISOString().slice(0, 19).replace('T', ' ')}+00`;
}

/** One line per stale job under the table, within 100 columns (a long job name is cut as in the table). */
function printStale(
  stale: readonly { job: string; reason: string }[],
  jobName: (job: string) => string = shortJob,
): void {
  for (const s of stale) printLine(`STALE ${jobName(s.job)}: ${s.reason}`);
}

function shortJob(job: string): string {
  return job.length > 13 ? `${job.slice(0, 12)}…` : job;
}

/** For each backup marked running: is a live process behind it (its job's lock)? */
async function liveRunning(
  session: Session,
  rows: readonly BackupRow[],
): Promise<Map<string, boolean | undefined>> {
  const running = rows.filter((b) => b.status === 'running');
  const entries = await Promise.all(
    running.map(async (b) => [b.id, await backupIsAlive(session, b.job, b.startedAt)] as const),
  );
  return new Map(entries);
}

function choose(all: readonly BackupView[], options: ListOptions): BackupView[] {
  const wanted = options.status;
  let items = wanted === undefined ? [...all] : all.filter((b) => matches(b, wanted));
  if (options.limit !== undefined) return newestPerJob(items, options.limit);
  if (options.all || options.json || wanted !== undefined) return items;
  items = items.filter((b) => b.state !== 'pruned');
  const shown = new Set<BackupView>();
  const seenJob = new Set<string>();
  const goodJob = new Set<string>();
  for (const b of items) {
    const good = b.status === 'ok' || b.status === 'degraded';
    if (!seenJob.has(b.job) || (good && !goodJob.has(b.job))) shown.add(b);
    seenJob.add(b.job);
    if (good) goodJob.add(b.job);
  }
  return items.filter((b) => shown.has(b));
}

function matches(b: BackupView, wanted: readonly ListState[]): boolean {
  return wanted.includes(b.state) || (wanted.includes('flagged') && b.flaggedNow);
}

function newestPerJob(items: readonly BackupView[], limit: number): BackupView[] {
  const count = new Map<string, number>();
  return items.filter((b) => {
    const n = (count.get(b.job) ?? 0) + 1;
    count.set(b.job, n);
    return n <= limit;
  });
}

function stateCell(b: BackupView): string {
  return b.flaggedNow ? `${b.state} FLAGGED!` : b.state;
}

/** Wide: time, level, status. Narrow: level, ok or FAILED, and how long ago (`restore-test ok 3d`). */
function verifiedCell(b: BackupView, now: Date | undefined): string {
  const last = b.lastVerified;
  if (last === null) return 'never';
  if (now === undefined) return `${last.at} ${last.level} ${last.status}`;
  return `${last.level} ${last.status === 'ok' ? 'ok' : 'FAILED'} ${age(now.getTime() - Date.parse(last.at))}`;
}

function age(ms: number): string {
  const minutes = Math.max(0, Math.floor(ms / 60_000));
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h`;
  const days = Math.floor(hours / 24);
  return days < 1000 ? `${days}d` : `${Math.floor(days / 365)}y`;
}

function policyCell(b: BackupView, wide: boolean): string {
  if (b.state === 'pruned' || b.state === 'failed' || b.state === 'running' || b.state === 'interrupted')
    return '-';
  if (b.policy.met) return 'ok';
  return wide ? `below (${b.policy.shortfall})` : 'below';
}

/**
 * At most 100 columns: id 23, job 13 (longer names are cut), status 11, size 10, good copies and 3-2-1 9
 * (`2/3 below`), last verification 24 (`restore-test FAILED 364d`), and the gaps.
 */
function narrowTable(items: readonly BackupView[], now: Date, jobName: (job: string) => string): string {
  return formatTable(
    ['backup', 'job', 'status', 'size', 'copies', 'verified'],
    items.map((b) => [
      b.backupId,
      jobName(b.job),
      stateCell(b),
      b.size === null ? '-' : formatBytes(b.size),
      copiesCell(b),
      verifiedCell(b, now),
    ]),
  );
}

function copiesCell(b: BackupView): string {
  if (b.copies.length === 0) return '-';
  const good = `${b.policy.copies}/${b.copies.length}`;
  const policy = policyCell(b, false);
  return policy === '-' ? good : `${good} ${policy}`;
}

/** Each copy's status and how long ago every byte of it was last re-hashed (`usb:verified deep 3d`). */
function wideCopiesCell(b: BackupView, now: Date): string {
  const deep = (at: string | null) =>
    at === null ? 'deep never' : `deep ${age(now.getTime() - Date.parse(at))}`;
  return b.copies.map((c) => `${c.destination}:${c.status} ${deep(c.lastDeepVerifiedAt)}`).join(', ') || '-';
}

function wideTable(items: readonly BackupView[], now: Date): string {
  return formatTable(
    ['backup', 'job', 'status', 'size', 'sha256', 'encrypted', 'copies', 'policy', 'last verified'],
    items.map((b) => [
      b.backupId,
      b.job,
      stateCell(b),
      b.size === null ? '-' : formatBytes(b.size),
      shortHash(b.sha256),
      b.encrypted ? `age to ${b.recipients.join(', ')}` : 'no',
      wideCopiesCell(b, now),
      policyCell(b, true),
      verifiedCell(b, undefined),
    ]),
  );
}
