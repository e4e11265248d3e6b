import { TricopyError } from './tricopy-error.js';

const MARKER = 'tricopy.error.SourceError';
const SYMBOL = Symbol.for(MARKER);

/** A source failed to dump, restore or connect. `details` carries the tool's redacted stderr. */
export class SourceError extends TricopyError {
  readonly [SYMBOL] = true;
  constructor(message: string, options?: { cause?: unknown; details?: string }) {
    super('SOURCE', message, options);
    this.name = 'SourceError';
  }

  static override isInstance(value: unknown): value is SourceError {
    return TricopyError.hasMarker(value, MARKER);
  }
}
