export type ErrorCode =
  | 'NOT_FOUND'
  | 'INVALID_KEY'
  | 'CONFIG'
  | 'PLUGIN_LOAD'
  | 'SOURCE'
  | 'DESTINATION'
  | 'INTEGRITY'
  | 'USAGE';

const MARKER = 'tricopy.error';
const SYMBOL = Symbol.for(MARKER);

/**
 * Base of every error tricopy and its plugins raise on purpose. The message is meant for a person:
 * one line that says what failed and what to fix, with no secret in it.
 * `isInstance` works across several copies of this package (a plugin may bring its own): each class sets its own
 * marker (a registered symbol) and checks it with `hasMarker`, so `NotFoundError.isInstance(e)` is true only for a
 * NotFoundError.
 */
export class TricopyError extends Error {
  readonly [SYMBOL] = true;
  readonly code: ErrorCode;
  /** Extra lines for the user (e.g. a tool's stderr, already redacted). */
  readonly details?: string;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; details?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TricopyError';
    this.code = code;
    if (options?.details !== undefined) this.details = options.details;
  }

  static isInstance(value: unknown): value is TricopyError {
    return TricopyError.hasMarker(value, MARKER);
  }

  static hasCode(value: unknown, code: ErrorCode): value is TricopyError {
    return TricopyError.isInstance(value) && value.code === code;
  }

  /** The one marker check: true when `value` carries `Symbol.for(marker)`, set by the class that owns that marker. */
  protected static hasMarker(value: unknown, marker: string): boolean {
    return (
      typeof value === 'object' &&
      value !== null &&
      (value as Record<symbol, unknown>)[Symbol.for(marker)] === true
    );
  }
}
