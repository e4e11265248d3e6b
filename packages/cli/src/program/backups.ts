import { type Command, Option } from 'commander';
import { backupCommand } from '../commands/backup.js';
import { drillCommand } from '../commands/drill.js';
import { addListOptions, listCommand } from '../commands/list.js';
import { collectJob, parseSince, REPORT_FORMATS, reportCommand } from '../commands/report.js';
import { parseSourceOption, restoreCommand } from '../commands/restore.js';
import { verifyCommand } from '../commands/verify.js';
import { type Run, withArgument, withOptions } from './actions.js';

export const IDENTITY_HELP =
  'age identity file (as age-keygen writes it) for encrypted backups (default: $TRICOPY_IDENTITY_FILE)';

export function addBackup(program: Command, run: Run): void {
  program
    .command('backup')
    .description('back up every job, or the jobs named')
    .argument('[jobs...]', 'only these jobs')
    .action(withArgument(run, backupCommand));
}

export function addList(program: Command, run: Run): void {
  addListOptions(
    program.command('list').description('backups with their copies, sizes, sha256 and status'),
  ).action(withOptions(run, listCommand));
}

export function addReport(program: Command, run: Run): void {
  program
    .command('report')
    .description(
      'evidence for an auditor: every backup, copy, check, verification and drill of a period, and 3-2-1',
    )
    .requiredOption(
      '--since <period>',
      'from this long ago (90d, 12h, 2w) or this date (2026-01-31, UTC)',
      (v) => parseSince(v),
    )
    .option('--job <job>', 'only this job (repeatable)', collectJob)
    .addOption(
      new Option('--format <format>', 'json or one self-contained HTML file')
        .choices(REPORT_FORMATS)
        .default('json'),
    )
    .option('--output <file>', 'write the report to this file (default: stdout)')
    .action(withOptions(run, reportCommand));
}

export function addVerify(program: Command, run: Run): void {
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
    .action(withArgument(run, verifyCommand));
}

export function addDrill(program: Command, run: Run): void {
  program
    .command('drill')
    .description(
      "restore the job's newest good backup into its drill target, run its post-restore SQL and assertions",
    )
    .argument('<job>', 'the job')
    .option('--identity <file>', IDENTITY_HELP)
    .action(withArgument(run, drillCommand));
}

export function addRestore(program: Command, run: Run): void {
  program
    .command('restore')
    .description('restore a backup from the cheapest good copy (sha256 confirmed before anything is applied)')
    .argument('[backupId]', 'the backup to restore')
    .option('--latest', 'the newest backup of --job (with WAL: recover as far as the stored WAL reaches)')
    .option(
      '--time <time>',
      'PostgreSQL with WAL: recover to this moment, e.g. "2026-12-06 10:15:00+00" (an offset is required)',
    )
    .option('--job <job>', 'the job')
    .option('--to <path>', 'file to restore into (SQLite), or a new data directory (PostgreSQL base backups)')
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
    .action(withArgument(run, restoreCommand));
}
