import { TricopyError } from '@tricopy/contract';

/** True when `value` carries `marker`: each class below has its own, so `isInstance` narrows across package copies. */
function hasMarker(value: unknown, marker: symbol): boolean {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[marker] === true;
}

const CONFIG = Symbol.for('tricopy.error.ConfigError');
const PLUGIN_LOAD = Symbol.for('tricopy.error.PluginLoadError');
const USAGE = Symbol.for('tricopy.error.UsageError');
const INTEGRITY = Symbol.for('tricopy.error.IntegrityError');

export class ConfigError extends TricopyError {
  readonly [CONFIG] = true;
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

  static override isInstance(value: unknown): value is ConfigError {
    return hasMarker(value, CONFIG);
  }
}

export class PluginLoadError extends TricopyError {
  readonly [PLUGIN_LOAD] = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super('PLUGIN_LOAD', message, options);
    this.name = 'PluginLoadError';
  }

  static override isInstance(value: unknown): value is PluginLoadError {
    return hasMarker(value, PLUGIN_LOAD);
  }
}

export class UsageError extends TricopyError {
  readonly [USAGE] = true;
  constructor(message: string) {
    super('USAGE', message);
    this.name = 'UsageError';
  }

  static override isInstance(value: unknown): value is UsageError {
    return hasMarker(value, USAGE);
  }
}

export class IntegrityError extends TricopyError {
  readonly [INTEGRITY] = true;
  constructor(message: string) {
    super('INTEGRITY', message);
    this.name = 'IntegrityError';
  }

  static override isInstance(value: unknown): value is IntegrityError {
    return hasMarker(value, INTEGRITY);
  }
}

/** One line for a person: the message of a TricopyError, or the message of anything else. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
