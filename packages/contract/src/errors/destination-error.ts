import { TricopyError } from './tricopy-error.js';

const MARKER = 'tricopy.error.DestinationError';
const SYMBOL = Symbol.for(MARKER);

/** A destination failed to store, read, stat, list or delete. */
export class DestinationError extends TricopyError {
  readonly [SYMBOL] = true;
  /** Transient failures (network resets, timeouts) may be retried; permanent ones (auth, no bucket) not. */
  readonly retryable: boolean;
  constructor(message: string, options?: { cause?: unknown; details?: string; retryable?: boolean }) {
    super('DESTINATION', message, options);
    this.name = 'DestinationError';
    this.retryable = options?.retryable ?? false;
  }

  static override isInstance(value: unknown): value is DestinationError {
    return TricopyError.hasMarker(value, MARKER);
  }
}

/**
 * Whether trying the same operation again may succeed. A DestinationError says so itself (`retryable`); an error
 * that is not a DestinationError (a stream reset, a mismatching copy) is treated as transient.
 */
export function isRetryable(error: unknown): boolean {
  if (DestinationError.isInstance(error)) return error.retryable;
  return true;
}
