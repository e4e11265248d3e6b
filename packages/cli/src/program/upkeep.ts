import type { Command } from 'commander';
import { forgetCommand } from '../commands/forget.js';
import { confirmCommand, pruneCommand } from '../commands/prune.js';
import { repairCommand } from '../commands/repair.js';
import { type Run, withArgument, withOptions } from './actions.js';

export function addPrune(program: Command, run: Run): void {
  program
    .command('prune')
    .description(
      "remove backups the jobs' retention rules no longer keep (safety rules: see docs/operations.md)",
    )
    .option('--job <job>', 'only this job (also a job removed from the config: see --orphaned)')
    .option('--orphaned', 'only jobs removed from the config: all their backups but the newest')
    .option('--dry-run', 'print what would be removed on each destination, remove nothing')
    .action(withOptions(run, pruneCommand));
}

export function addRepair(program: Command, run: Run): void {
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
    .action(withArgument(run, repairCommand));
}

export function addForget(program: Command, run: Run): void {
  program
    .command('forget')
    .description("remove one backup from every destination under prune's safety rules")
    .argument('<backupId>', 'the backup to remove')
    .option('--force', "also the job's newest verified backup")
    .option('--dry-run', 'print what would be removed, remove nothing')
    .action(withArgument(run, forgetCommand));
}

export function addConfirm(program: Command, run: Run): void {
  program
    .command('confirm')
    .description(
      'confirm a backup flagged as anomalous (rows lost, a table gone, size shrunk or grown), so pruning of its job may resume',
    )
    .argument('<backupId>', 'the flagged backup')
    .action(withArgument(run, confirmCommand));
}
