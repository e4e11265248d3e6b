import { TRICOPY_VERSION } from '@tricopy/core';
import { Command, InvalidArgumentError, Option } from 'commander';
import { backupCommand } from './commands/backup.js';
import { catalogRebuildCommand } from './commands/catalog.js';
import { catalogCopyCommand } from './commands/catalog-copy.js';
import { checkCommand } from './commands/check.js';
import { daemonCommand } from './commands/daemon.js';
import { enqueueCommand } from './commands/enqueue.js';
import { forgetCommand } from './commands/forget.js';
import { initCommand } from './commands/init.js';
import { addListOptions, listCommand } from './commands/list.js';
import { metricsCommand } from './commands/metrics.js';
import { confirmCommand, pruneCommand } from './commands/prune.js';
import { repairCommand } from './commands/repair.js';
import { parseSourceOption, restoreCommand } from './commands/restore.js';
import { scheduleCommand } from './commands/schedule.js';
import { serveCommand } from './commands/serve.js';
import { verifyCommand } from './commands/verify.js';
import { workerCommand } from './commands/worker.js';
import { DEFAULT_LISTEN } from './serve/listen-options.js';

const IDENTITY_HELP =
  'age identity file (as age-keygen writes it) for encrypted backups (default: $TRICOPY_IDENTITY_FILE)';

/** `--listen` (given a default, the server always runs) and `--token-file`, for `serve` and `daemon`. */
function addServeOptions(command: Command, defaultListen?: string): Command {
  const listen = new Option(
    '--listen <host:port>',
    'serve the dashboard (/), /metrics and /api/jobs read-only on this address (off loopback a bearer token is required)',
  );
  return command
    .addOption(defaultListen === undefined ? listen : listen.default(defaultListen))
    .option('--token-file <file>', 'the bearer token every request must carry (else $TRICOPY_SERVE_TOKEN)');
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new InvalidArgumentError('a whole number from 1 to 64');
  return n;
}

export type Action = (...args: never[]) => Promise<number>;

/**
 * Builds the command tree. `run` receives each command's action so the caller can map results and errors to exit
 * codes in one place.
 */
export function buildProgram(
  run: (action: () => Promise<number>) => Promise<void>,
  output: { writeErr?: (text: string) => void } = {},
): Command {
  const program = new Command('tricopy')
    .description('3-2-1 backups for PostgreSQL, MySQL/MariaDB and SQLite: one read, every copy verified')
    .version(TRICOPY_VERSION)
    .option('-c, --config <file>', 'config file (default: $TRICOPY_CONFIG or ./tricopy.yaml)')
    .option('--env-file <file>', 'KEY=value lines (mode 0600) that ${VAR} in the config is filled from')
    .option('--json', 'machine-readable output on stdout (and nothing else there)')
    .option('-v, --verbose', 'debug logging on stderr')
    .option('-q, --quiet', 'only errors on stderr')
    .addOption(
      new Option('--log-format <format>', 'log lines on stderr').choices(['human', 'json']).default('human'),
    )
    .showHelpAfterError()
    .exitOverride();
  if (output.writeErr !== undefined) program.configureOutput({ writeErr: output.writeErr });

  program
    .command('init')
    .description('write a commented starter tricopy.yaml')
    .option('--force', 'overwrite an existing file')
    .option('--demo <dir>', 'instead, create a demo folder: a sample SQLite database and a config for it')
    .action((_options, command: Command) => run(() => initCommand(command.optsWithGlobals())));

  program
    .command('check')
    .description("validate the config, probe every destination and source, print each job's 3-2-1 status")
    .argument('[jobs...]', 'only these jobs')
    .action((jobs: string[], _options, command: Command) =>
      run(() => checkCommand(jobs, command.optsWithGlobals())),
    );

  program
    .command('backup')
    .description('back up every job, or the jobs named')
    .argument('[jobs...]', 'only these jobs')
    .action((jobs: string[], _options, command: Command) =>
      run(() => backupCommand(jobs, command.optsWithGlobals())),
    );

  addListOptions(
    program.command('list').description('backups with their copies, sizes, sha256 and status'),
  ).action((_options, command: Command) => run(() => listCommand(command.optsWithGlobals())));

  program
    .command('verify')
    .description(
      'check stored copies: exist with the right size (default), re-hash every byte (--deep), or restore',
    )
    .argument('[backupId]', 'one backup')
    .option('--latest', 'the newest backup of each job')
    .option('--all', 'every backup')
    .option('--job <job>', 'only this job')
    .option('--deep', 'read every copy and re-hash it')
    .addOption(
      new Option(
        '--restore-test',
        'restore into a scratch target and compare per-table row counts with the manifest',
      ).conflicts('deep'),
    )
    .option('--identity <file>', IDENTITY_HELP)
    .action((backupId: string | undefined, _options, command: Command) =>
      run(() => verifyCommand(backupId, command.optsWithGlobals())),
    );

  program
    .command('restore')
    .description('restore a backup from the cheapest good copy (sha256 confirmed before anything is applied)')
    .argument('[backupId]', 'the backup to restore')
    .option('--latest', 'the newest backup of --job')
    .option('--job <job>', 'the job')
    .option('--to <path>', 'file to restore into (SQLite)')
    .addOption(
      new Option(
        '--to-database <name>',
        "database to restore into, on the job's own server (PostgreSQL, MySQL)",
      ).conflicts('to'),
    )
    .option('--create-database', 'create the database if it does not exist')
    .option('--force', 'replace an existing target')
    .option('--from <destination>', 'read only the copy on this destination')
    .option('--identity <file>', IDENTITY_HELP)
    .option(
      '--globals',
      'first recreate the roles / users stored with the backup that the server lacks (existing ones are left alone)',
    )
    .option(
      '--source-option <key=value>',
      'for a job removed from the config: its source option (repeatable; ${VAR} is filled from the environment)',
      parseSourceOption,
    )
    .action((backupId: string | undefined, _options, command: Command) =>
      run(() => restoreCommand(backupId, command.optsWithGlobals())),
    );

  program
    .command('prune')
    .description(
      "remove backups the jobs' retention rules no longer keep (safety rules: see docs/operations.md)",
    )
    .option('--job <job>', 'only this job (also a job removed from the config: see --orphaned)')
    .option('--orphaned', 'only jobs removed from the config: all their backups but the newest')
    .option('--dry-run', 'print what would be removed on each destination, remove nothing')
    .action((_options, command: Command) => run(() => pruneCommand(command.optsWithGlobals())));

  program
    .command('repair')
    .description(
      'write missing, failed or corrupt copies again from a good one (never from the database), each cross-checked',
    )
    .argument('[backupId]', 'one backup')
    .option('--latest', 'the newest backup of each job (or of --job)')
    .option('--all', 'every backup not pruned')
    .option('--job <job>', 'only this job')
    .option(
      '--backfill',
      'also write backups made before a destination joined the job (within its retention)',
    )
    .option('--dry-run', 'print what would be written, write nothing')
    .action((backupId: string | undefined, _options, command: Command) =>
      run(() => repairCommand(backupId, command.optsWithGlobals())),
    );

  program
    .command('forget')
    .description("remove one backup from every destination under prune's safety rules")
    .argument('<backupId>', 'the backup to remove')
    .option('--force', "also the job's newest verified backup")
    .option('--dry-run', 'print what would be removed, remove nothing')
    .action((backupId: string, _options, command: Command) =>
      run(() => forgetCommand(backupId, command.optsWithGlobals())),
    );

  program
    .command('confirm')
    .description('confirm a backup flagged as suspiciously small, so pruning of its job may resume')
    .argument('<backupId>', 'the flagged backup')
    .action((backupId: string, _options, command: Command) =>
      run(() => confirmCommand(backupId, command.optsWithGlobals())),
    );

  addServeOptions(
    program
      .command('serve')
      .description(
        'read-only HTTP from the catalog: the dashboard at /, Prometheus /metrics, JSON /api/jobs (SIGTERM stops)',
      ),
    DEFAULT_LISTEN,
  ).action((_options, command: Command) => run(() => serveCommand(command.optsWithGlobals())));

  addServeOptions(
    program
      .command('daemon')
      .description('run every job on its schedule in the foreground (JSON logs; SIGTERM stops cleanly)'),
  ).action((_options, command: Command) => run(() => daemonCommand(command.optsWithGlobals())));

  program
    .command('worker')
    .description(
      'fleet mode: run backups (and rotating verification) from the queue in the catalog database until SIGTERM (JSON logs)',
    )
    .option(
      '--concurrency <n>',
      "runs at once in this worker (default: the config's concurrency)",
      positiveInt,
    )
    .action((_options, command: Command) => run(() => workerCommand(command.optsWithGlobals())));

  program
    .command('enqueue')
    .description('fleet mode: queue runs of every job, or the jobs named, for the workers')
    .argument('[jobs...]', 'only these jobs')
    .option('--wait', 'wait for the runs to end; exit with the usual codes')
    .action((jobs: string[], _options, command: Command) =>
      run(() => enqueueCommand(jobs, command.optsWithGlobals())),
    );

  program
    .command('metrics')
    .description(
      "print Prometheus metrics from the catalog (each job's last backup, verification, staleness)",
    )
    .option(
      '--textfile <path>',
      "write them atomically to this .prom file (node_exporter's textfile collector)",
    )
    .action((_options, command: Command) => run(() => metricsCommand(command.optsWithGlobals())));

  program
    .command('schedule')
    .description('print crontab lines or systemd units for the configured schedules (or a fleet worker)')
    .addOption(
      new Option('--print <format>', 'what to print')
        .choices(['crontab', 'systemd', 'systemd-daemon', 'systemd-worker'])
        .makeOptionMandatory(),
    )
    .option(
      '--credentials <NAME=PATH,...>',
      'systemd units: the file each ${credential:NAME} of the config is loaded from (default: /etc/credstore/NAME)',
    )
    .action((_options, command: Command) => run(() => scheduleCommand(command.optsWithGlobals())));

  const catalog = program.command('catalog').description('the catalog of backups');
  catalog
    .command('rebuild')
    .description('rebuild the catalog from the manifests on one destination')
    .requiredOption('--from <destination>', 'the destination to read manifests from')
    .action((_options, command: Command) => run(() => catalogRebuildCommand(command.optsWithGlobals())));
  catalog
    .command('copy')
    .description(
      "copy every record of a SQLite catalog (backups, copies, runs, verifications) into the config's empty catalog",
    )
    .requiredOption('--from <file>', 'the SQLite catalog file to copy (e.g. the old catalog.db)')
    .action((_options, command: Command) => run(() => catalogCopyCommand(command.optsWithGlobals())));

  return program;
}
