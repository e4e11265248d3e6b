import { resolve } from 'node:path';
import {
  type BackupRow,
  configWithRemovedJob,
  formatBytes,
  type PointInTimeResult,
  parseRecoveryTime,
  type RecoveryTarget,
  restoreBackup,
  restoreToPoint,
  type Session,
  selectBackups,
  UsageError,
} from '@tricopy/core';
import { InvalidArgumentError } from 'commander';
import { parse } from 'yaml';
import { type GlobalOptions, restorePaths, withSession } from '../context.js';
import { configEnvironment } from '../env-file.js';
import { EXIT } from '../exit-codes.js';
import { interruptible } from '../interruptible.js';
import { MeteredSession } from '../metered-session.js';
import { printJson, printLine } from '../output.js';
import { createReadProgress, progressMode } from '../progress.js';
import { restoreCommandLine, shellWord } from '../restore-command-line.js';

export interface RestoreOptions extends GlobalOptions {
  latest?: boolean;
  job?: string;
  to?: string;
  toDatabase?: string;
  createDatabase?: boolean;
  force?: boolean;
  from?: string;
  /** Point-in-time restore of a PostgreSQL job with WAL: the moment to recover to. */
  time?: string;
  globals?: boolean;
  sourceOption?: Record<string, unknown>;
}

/** Commander parser for `--source-option KEY=VALUE` (repeatable); VALUE is read as a YAML scalar, as in the config. */
export function parseSourceOption(
  value: string,
  previous: Record<string, unknown> = {},
): Record<string, unknown> {
  const at = value.indexOf('=');
  if (at <= 0) throw new InvalidArgumentError('KEY=VALUE, e.g. host=db1.internal');
  let parsed: unknown;
  try {
    parsed = parse(value.slice(at + 1));
  } catch {
    throw new InvalidArgumentError(`${value.slice(0, at)}: not a YAML value (quote it: key='text')`);
  }
  return { ...previous, [value.slice(0, at)]: parsed };
}

export async function restoreCommand(backupId: string | undefined, options: RestoreOptions): Promise<number> {
  if (options.to === undefined && options.toDatabase === undefined) {
    throw new UsageError(
      'say where to restore: --to PATH (SQLite; a new data directory for PostgreSQL base backups) or --to-database NAME (PostgreSQL, MySQL)',
    );
  }
  checkWhich(backupId, options);
  const progress = createReadProgress(progressMode(options));
  // A restore only reads the catalog: a catalog on a read-only file system does not stop it.
  const metered = (o: SessionOptions) =>
    new MeteredSession({ ...o, readOnlyCatalog: true }, progress, restoreLabel);
  try {
    return await withSession(
      options,
      (session) => restoreChosen(session, backupId, options, { metered, done: () => progress.stop() }),
      metered,
    );
  } finally {
    progress.stop();
  }
}

type SessionOptions = ConstructorParameters<typeof Session>[0];

/** How a restore reads: through a metered session, and what to call once every byte is read. */
interface Reading {
  readonly metered: (o: SessionOptions) => Session;
  readonly done: () => void;
}

async function restoreChosen(
  session: Session,
  backupId: string | undefined,
  options: RestoreOptions,
  reading: Reading,
): Promise<number> {
  const job = options.job ?? onlyJob(session, backupId);
  if (backupId === undefined && job !== undefined && (await pointInTime(session, job, options))) {
    return restorePointInTime(session, job, options, reading);
  }
  const backup = await chooseBackup(session, backupId, job);
  if (options.globals && !(backup.format ?? '').endsWith('+globals')) {
    throw new UsageError(
      `--globals: backup ${backup.id} holds no roles or users (set globals: true on the job's source; later backups then do)`,
    );
  }
  await warnIfFlagged(session, backup);
  const restoring = await sessionFor(session, backup, options, reading.metered);
  const toKind = options.to === undefined ? 'path' : await pathKind(restoring, backup.job);
  // Ctrl-C / SIGTERM stop the restore tool, so the plugin can drop what it created and remove its password file.
  let result: Awaited<ReturnType<typeof restoreBackup>>;
  try {
    result = await interruptible('the restore', (signal) =>
      restoreBackup(
        restoring,
        backup,
        {
          ...(options.to === undefined ? {} : { [toKind]: options.to }),
          ...(options.toDatabase === undefined ? {} : { database: options.toDatabase }),
          ...(options.createDatabase ? { createDatabase: true } : {}),
          ...(options.force ? { force: true } : {}),
        },
        {
          ...(options.from === undefined ? {} : { from: options.from }),
          ...(options.globals ? { globals: true } : {}),
          signal,
        },
      ),
    );
  } finally {
    reading.done();
    if (restoring !== session) await restoring.close();
  }
  const flagged = backup.confirmedAt === null ? backup.flagged : null;
  if (options.json) printJson({ ...result, flagged });
  else if (!options.quiet) {
    const where = options.to ?? `database ${options.toDatabase}`;
    printLine(
      `restored backup ${result.backupId} (${result.job}, ${formatBytes(result.size)}, sha256 confirmed) from ${result.destination} into ${where}` +
        (flagged === null ? '' : ` (flagged as anomalous: ${flagged})`),
    );
  }
  return EXIT.ok;
}

/** Which backup: an id, --latest or --time, one of them. */
function checkWhich(backupId: string | undefined, options: RestoreOptions): void {
  if (options.time !== undefined && backupId !== undefined)
    throw new UsageError('--time chooses the base backup itself: drop the backup id');
  if (options.time !== undefined && options.latest) throw new UsageError('--time or --latest, not both');
  if (backupId === undefined && !options.latest && options.time === undefined)
    throw new UsageError('say which backup: a backup id, --latest, or --time TIME (PostgreSQL with WAL)');
  if (options.time !== undefined) parseRecoveryTime(options.time);
}

/** What `--to` names for the job's source: a file, or a PostgreSQL data directory. */
async function pathKind(session: Session, job: string): Promise<'path' | 'directory'> {
  return (await session.source(job)).restoreTarget === 'directory' ? 'directory' : 'path';
}

/**
 * Whether the restore recovers to a point in time: --time, or --latest for a job that archives WAL. --time for a
 * job that does not is refused, naming what it needs.
 */
async function pointInTime(session: Session, job: string, options: RestoreOptions): Promise<boolean> {
  if (!session.config.jobs.has(job)) {
    if (options.time === undefined) return false;
    throw new UsageError(`--time needs job ${job} in the config (its WAL archive's settings)`);
  }
  const source = await session.source(job);
  if (source.wal !== undefined && source.restoreTarget === 'directory') return true;
  if (options.time === undefined) return false;
  throw new UsageError(
    `--time needs WAL: job ${job} archives none (PostgreSQL source with mode: base and wal: true); restore a backup with --latest or its id`,
  );
}

async function restorePointInTime(
  session: Session,
  job: string,
  options: RestoreOptions,
  reading: Reading,
): Promise<number> {
  if (options.to === undefined)
    throw new UsageError(`job ${job} restores a PostgreSQL data directory: pass --to DIR`);
  const target: RecoveryTarget =
    options.time === undefined ? { latest: true } : { time: parseRecoveryTime(options.time) };
  const restoreCommand = restoreCommandLine(job, restorePaths(options));
  let result: PointInTimeResult;
  try {
    result = await interruptible('the restore', (signal) =>
      restoreToPoint(session, job, target, {
        directory: resolve(options.to as string),
        restoreCommand,
        ...(options.from === undefined ? {} : { from: options.from }),
        signal,
      }),
    );
  } finally {
    reading.done();
  }
  if (result.warning !== undefined) session.logger.warn(result.warning);
  if (options.json) printJson(result);
  else if (!options.quiet) for (const line of pointInTimeLines(result)) printLine(line);
  return EXIT.ok;
}

/** What a point-in-time restore did, and what to run next. */
export function pointInTimeLines(result: PointInTimeResult, root = process.getuid?.() === 0): string[] {
  const directory = result.target.directory ?? '';
  const quoted = shellWord(directory);
  return [
    `restored base backup ${result.backupId} (${result.job}, ${formatBytes(result.size)}, sha256 confirmed, stopped ${result.base.stopTime}) from ${result.destination} into ${directory}`,
    result.targetTime === undefined
      ? `recovery: replays all stored WAL (stored up to ${result.walReaches}); window ${result.window.earliest} .. ${result.window.latest}`
      : `recovery: to ${result.targetTime}; window ${result.window.earliest} .. ${result.window.latest}`,
    ...(root ? [`next: chown -R postgres: ${quoted}   (the server refuses to run as root)`] : []),
    `next: start it as the data directory's owner: pg_ctl -D ${quoted} start   (WAL is fetched by tricopy wal-fetch; each file's sha256 is checked)`,
    ...(result.targetTime === undefined
      ? []
      : [
          'if the server stops with "recovery ended before configured recovery target was reached", no commit after the target is stored yet: restore again with --latest or an earlier --time',
        ]),
  ];
}

/** A restore reads the copy twice: to confirm its sha256 (or download it), then to feed the restore tool. */
function restoreLabel(backupId: string, destination: string, pass: number): string {
  return pass === 1 ? `${backupId}: checking ${destination}` : `${backupId}: restoring from ${destination}`;
}

/** The backup by id, or the newest good one of `job` (also of a job no longer in the config). */
/** With --latest and no --job: the config's only job; with several, which to choose is the user's to say. */
function onlyJob(session: Session, backupId: string | undefined): string | undefined {
  if (backupId !== undefined) return undefined;
  const names = [...session.config.jobs.keys()];
  if (names.length === 1) return names[0];
  throw new UsageError(
    `--latest needs --job JOB (which job to restore: ${names.join(', ') || 'the config has none'})`,
  );
}

async function chooseBackup(
  session: Session,
  backupId: string | undefined,
  job: string | undefined,
): Promise<BackupRow> {
  if (backupId === undefined && job !== undefined && !session.config.jobs.has(job)) {
    const [newest] = await session.catalog.listBackups({ job, statuses: ['ok', 'degraded'] });
    if (newest !== undefined) return newest;
  }
  const [backup] = await selectBackups(session, {
    ...(backupId === undefined ? { latest: true } : { backupId }),
    ...(job === undefined ? {} : { job }),
  });
  if (backup === undefined) throw new UsageError(`job ${job} has no backup with a good copy`);
  return backup;
}

/**
 * The session to restore with: this one, or for a backup whose job was removed from the config, one whose config
 * has that job again, built from the source type the backup was made with and `--source-option`.
 */
async function sessionFor(
  session: Session,
  backup: BackupRow,
  options: RestoreOptions,
  create: (o: SessionOptions) => Session,
): Promise<Session> {
  if (session.config.jobs.has(backup.job)) {
    if (options.sourceOption !== undefined)
      throw new UsageError(
        `--source-option is only for jobs removed from the config; ${backup.job} is in it`,
      );
    return session;
  }
  const config = await configWithRemovedJob(
    session.config,
    backup.job,
    backup.sourceType,
    options.sourceOption ?? {},
    await configEnvironment(options.envFile),
    options.to,
  );
  session.logger.info(
    `job ${backup.job} is no longer in the config: restoring with its source type ${backup.sourceType} and --source-option`,
  );
  return create({ config, logger: session.logger, catalog: session.catalog, now: session.now });
}

/** A backup flagged as anomalous and not confirmed may be an emptied database: say so before restoring it. */
async function warnIfFlagged(session: Session, backup: BackupRow): Promise<void> {
  if (backup.flagged === null || backup.confirmedAt !== null) return;
  const older = (await session.catalog.listBackups({ job: backup.job, statuses: ['ok', 'degraded'] })).find(
    (b) => b.seq < backup.seq && b.flagged === null && b.prunedAt === null,
  );
  session.logger.warn(
    `backup ${backup.id} is flagged as anomalous (${backup.flagged}): it may hold an emptied database` +
      (older === undefined ? '' : `; the newest unflagged backup of job ${backup.job} is ${older.id}`),
  );
}
