import { TricopyError } from '@tricopy/contract';

const MARKER = 'tricopy.error.UsageError';
const SYMBOL = Symbol.for(MARKER);

/** A request that cannot be carried out as asked (unknown job, no such backup, wrong identity). */
export class UsageError extends TricopyError {
  readonly [SYMBOL] = true;
  constructor(message: string) {
    super('USAGE', message);
    this.name = 'UsageError';
  }

  static override isInstance(value: unknown): value is UsageError {
    return TricopyError.hasMarker(value, MARKER);
  }
}
