import { TricopyError } from '@tricopy/contract';

const MARKER = 'tricopy.error.ConfigError';
const SYMBOL = Symbol.for(MARKER);

/** A configuration that cannot be used: every problem found, each naming what to fix. */
export class ConfigError extends TricopyError {
  readonly [SYMBOL] = true;
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
    return TricopyError.hasMarker(value, MARKER);
  }
}
