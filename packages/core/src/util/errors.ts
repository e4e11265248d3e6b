import { TricopyError } from '@tricopy/contract';

export class ConfigError extends TricopyError {
  readonly problems: readonly string[];
  constructor(problems: readonly string[], file?: string) {
    const where = file === undefined ? 'configuration' : file;
    super(
      'CONFIG',
      problems.length === 1
        ? `${where}: ${problems[0]}`
        : `${where}: ${problems.length} problems:\n  ${problems.join('\n  ')}`,
    );
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export class PluginLoadError extends TricopyError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('PLUGIN_LOAD', message, options);
    this.name = 'PluginLoadError';
  }
}

export class UsageError extends TricopyError {
  constructor(message: string) {
    super('USAGE', message);
    this.name = 'UsageError';
  }
}

export class IntegrityError extends TricopyError {
  constructor(message: string) {
    super('INTEGRITY', message);
    this.name = 'IntegrityError';
  }
}

/** One line for a person: the message of a TricopyError, or the message of anything else. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
