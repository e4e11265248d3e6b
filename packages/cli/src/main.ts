import { TricopyError } from '@tricopy/contract';
import { ConfigError, createJsonLogger, describeError, Redactor, terminalSafe } from '@tricopy/core';
import { CommanderError } from 'commander';
import { EXIT } from './exit-codes.js';
import { ignoreClosedStdout, printJson } from './output.js';
import { buildProgram } from './program.js';

/** Runs the CLI and returns the exit code. Errors become one clear message on stderr, never a stack trace. */
export async function main(argv: readonly string[]): Promise<number> {
  ignoreClosedStdout();
  let exitCode: number = EXIT.ok;
  const json = argv.includes('--json');
  const writeError = errorWriter(jsonLogFormat(argv));
  const program = buildProgram(
    async (action) => {
      exitCode = await action();
    },
    jsonLogFormat(argv) ? { writeErr: writeError } : {},
  );
  try {
    await program.parseAsync(argv as string[]);
  } catch (error) {
    exitCode = reportError(error, {
      json,
      verbose: argv.includes('--verbose') || argv.includes('-v'),
      writeError,
    });
  }
  return exitCode;
}

function jsonLogFormat(argv: readonly string[]): boolean {
  const at = argv.indexOf('--log-format');
  return argv.includes('--log-format=json') || (at !== -1 && argv[at + 1] === 'json');
}

/** Writes text to stderr as it is, or (with --log-format json) each line as one JSON log record. */
function errorWriter(asJson: boolean): (text: string) => void {
  if (!asJson) return (text) => process.stderr.write(terminalSafe(text));
  const logger = createJsonLogger('error', new Redactor());
  return (text) => {
    for (const line of text.split('\n')) if (line.trim() !== '') logger.error(line);
  };
}

interface ReportOptions {
  readonly json: boolean;
  readonly verbose: boolean;
  readonly writeError: (text: string) => void;
}

function reportError(error: unknown, { json, verbose, writeError }: ReportOptions): number {
  if (error instanceof CommanderError) {
    if (
      error.code === 'commander.helpDisplayed' ||
      error.code === 'commander.version' ||
      error.code === 'commander.help'
    ) {
      return EXIT.ok;
    }
    if (json) printJson({ error: { code: 'USAGE', message: error.message.replace(/^error: /, '') } });
    return EXIT.usage;
  }
  const usage =
    TricopyError.hasCode(error, 'CONFIG') ||
    TricopyError.hasCode(error, 'USAGE') ||
    TricopyError.hasCode(error, 'PLUGIN_LOAD');
  const code = usage ? EXIT.usage : EXIT.failed;
  const message = describeError(error) + damagedDatabaseHint(error);
  const details = TricopyError.isInstance(error) ? error.details : undefined;
  if (json) {
    printJson({
      error: {
        code: TricopyError.isInstance(error) ? error.code : 'INTERNAL',
        message,
        ...(ConfigError.isInstance(error) ? { problems: error.problems } : {}),
      },
    });
  }
  writeError(`tricopy: ${message}\n`);
  if (details) writeError(`${details}\n`);
  if (verbose && error instanceof Error && error.stack) writeError(`${error.stack}\n`);
  return code;
}

/** SQLite reporting a damaged file outside the catalog's own checks (a page read late in a command). */
function damagedDatabaseHint(error: unknown): string {
  const code = String((error as { code?: unknown } | null)?.code ?? '');
  if (code !== 'SQLITE_NOTADB' && !code.startsWith('SQLITE_CORRUPT')) return '';
  return ' (a SQLite file is damaged: if it is the catalog, move it aside and run `tricopy catalog rebuild --from DESTINATION`)';
}
