import { TricopyError } from '@tricopy/contract';
import { ConfigError, describeError } from '@tricopy/core';
import { CommanderError } from 'commander';
import { EXIT } from './exit-codes.js';
import { printJson } from './output.js';
import { buildProgram } from './program.js';

/** Runs the CLI and returns the exit code. Errors become one clear message on stderr, never a stack trace. */
export async function main(argv: readonly string[]): Promise<number> {
  let exitCode: number = EXIT.ok;
  const json = argv.includes('--json');
  const program = buildProgram(async (action) => {
    exitCode = await action();
  });
  try {
    await program.parseAsync(argv as string[]);
  } catch (error) {
    exitCode = reportError(error, json, argv.includes('--verbose') || argv.includes('-v'));
  }
  return exitCode;
}

function reportError(error: unknown, json: boolean, verbose: boolean): number {
  if (error instanceof CommanderError) {
    if (
      error.code === 'commander.helpDisplayed' ||
      error.code === 'commander.version' ||
      error.code === 'commander.help'
    ) {
      return EXIT.ok;
    }
    return EXIT.usage;
  }
  const usage =
    TricopyError.hasCode(error, 'CONFIG') ||
    TricopyError.hasCode(error, 'USAGE') ||
    TricopyError.hasCode(error, 'PLUGIN_LOAD');
  const code = usage ? EXIT.usage : EXIT.failed;
  const message = describeError(error);
  const details = TricopyError.isInstance(error) ? error.details : undefined;
  if (json) {
    printJson({
      error: {
        code: TricopyError.isInstance(error) ? error.code : 'INTERNAL',
        message,
        ...(error instanceof ConfigError ? { problems: error.problems } : {}),
      },
    });
  }
  process.stderr.write(`tricopy: ${message}\n`);
  if (details) process.stderr.write(`${details}\n`);
  if (verbose && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  return code;
}
