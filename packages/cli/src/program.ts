import { TRICOPY_VERSION } from '@tricopy/core';
import { Command, Option } from 'commander';
import type { Run } from './program/actions.js';
import { addBackup, addDrill, addList, addReport, addRestore, addVerify } from './program/backups.js';
import { addDaemon, addEnqueue, addMetrics, addSchedule, addServe, addWorker } from './program/services.js';
import { addCatalog, addCheck, addInit } from './program/setup.js';
import { addConfirm, addForget, addPrune, addRepair } from './program/upkeep.js';
import { addWal, addWalFetch } from './program/wal.js';

/** The commands in the order `--help` lists them. */
const COMMANDS: readonly ((program: Command, run: Run) => void)[] = [
  addInit,
  addCheck,
  addBackup,
  addList,
  addVerify,
  addRestore,
  addReport,
  addDrill,
  addPrune,
  addRepair,
  addForget,
  addConfirm,
  addServe,
  addDaemon,
  addWal,
  addWalFetch,
  addWorker,
  addEnqueue,
  addMetrics,
  addSchedule,
  addCatalog,
];

/**
 * Builds the command tree. `run` receives each command's action so the caller can map results and errors to exit
 * codes in one place.
 */
export function buildProgram(run: Run, output: { writeErr?: (text: string) => void } = {}): Command {
  const program = rootCommand();
  if (output.writeErr !== undefined) program.configureOutput({ writeErr: output.writeErr });
  for (const add of COMMANDS) add(program, run);
  return program;
}

/** `tricopy` with its global options. */
function rootCommand(): Command {
  return new Command('tricopy')
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
}
