import type { Command, OptionValues } from 'commander';
import { walCommand } from '../commands/wal.js';
import { walFetchCommand } from '../commands/wal-fetch.js';
import { type Run, withArgument } from './actions.js';

export function addWal(program: Command, run: Run): void {
  program
    .command('wal')
    .description(
      "archive a job's PostgreSQL WAL to every destination in the foreground (wal: on its source; SIGTERM stops after the file in hand)",
    )
    .argument('<job>', 'the job')
    .action(withArgument(run, walCommand));
}

export function addWalFetch(program: Command, run: Run): void {
  program
    .command('wal-fetch')
    .description(
      "PostgreSQL's restore_command: write an archived WAL file, checked against the catalog (exit 1: not archived; 126: archived but unreadable, which stops recovery)",
    )
    .requiredOption('--job <job>', 'the job that archived it')
    .option('--identity <file>', 'age identity file, for an encrypted job (else $TRICOPY_IDENTITY_FILE)')
    .argument('<name>', 'the WAL file name (%f)')
    .argument('<target>', 'where to write it (%p)')
    .action((name: string, target: string, _options: OptionValues, command: Command) =>
      run(() => walFetchCommand(name, target, command.optsWithGlobals<{ job: string }>())),
    );
}
