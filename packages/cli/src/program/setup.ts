import type { Command } from 'commander';
import { catalogRebuildCommand } from '../commands/catalog.js';
import { catalogCopyCommand } from '../commands/catalog-copy.js';
import { checkCommand } from '../commands/check.js';
import { initCommand } from '../commands/init.js';
import { type Run, withArgument, withOptions } from './actions.js';

export function addInit(program: Command, run: Run): void {
  program
    .command('init')
    .description('write a commented starter tricopy.yaml')
    .option('--force', 'overwrite an existing file')
    .option('--demo <dir>', 'instead, create a demo folder: a sample SQLite database and a config for it')
    .action(withOptions(run, initCommand));
}

export function addCheck(program: Command, run: Run): void {
  program
    .command('check')
    .description("validate the config, probe every destination and source, print each job's 3-2-1 status")
    .argument('[jobs...]', 'only these jobs')
    .action(withArgument(run, checkCommand));
}

export function addCatalog(program: Command, run: Run): void {
  const catalog = program.command('catalog').description('the catalog of backups');
  catalog
    .command('rebuild')
    .description('rebuild the catalog from the manifests on one destination')
    .requiredOption('--from <destination>', 'the destination to read manifests from')
    .action(withOptions(run, catalogRebuildCommand));
  catalog
    .command('copy')
    .description(
      "copy every record of a SQLite catalog (backups, copies, runs, verifications) into the config's empty catalog",
    )
    .requiredOption('--from <file>', 'the SQLite catalog file to copy (e.g. the old catalog.db)')
    .action(withOptions(run, catalogCopyCommand));
}
