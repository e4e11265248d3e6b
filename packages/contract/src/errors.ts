const MARKER = Symbol.for('tricopy.error');

export type ErrorCode =
  | 'NOT_FOUND'
  | 'INVALID_KEY'
  | 'CONFIG'
  | 'PLUGIN_LOAD'
  | 'SOURCE'
  | 'DESTINATION'
  | 'INTEGRITY'
  | 'USAGE';

/** True when `value` carries `marker` (set by the class, so it works across several copies of this package). */
function hasMarker(value: unknown, marker: symbol): boolean {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[marker] === true;
}

/**
 * Base of every error tricopy and its plugins raise on purpose. The message is meant for a person:
 * one line that says what failed and what to fix, with no secret in it.
 * `isInstance` works across several copies of this package (a plugin may bring its own); each subclass has its own
 * marker, so `NotFoundError.isInstance(e)` is true only for a NotFoundError.
 */
export class TricopyError extends Error {
  readonly [MARKER] = true;
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
    return hasMarker(value, MARKER);
  }

  static hasCode(value: unknown, code: ErrorCode): value is TricopyError {
    return TricopyError.isInstance(value) && value.code === code;
  }
}

const NOT_FOUND = Symbol.for('tricopy.error.NotFoundError');

/** `get` or `stat`-dependent operations on a key that does not exist. */
export class NotFoundError extends TricopyError {
  readonly [NOT_FOUND] = true;
  readonly key: string;
  constructor(key: string, where: string) {
    super('NOT_FOUND', `${where}: no object under key "${key}"`);
    this.name = 'NotFoundError';
    this.key = key;
  }

  static override isInstance(value: unknown): value is NotFoundError {
    return hasMarker(value, NOT_FOUND);
  }
}

const INVALID_KEY = Symbol.for('tricopy.error.InvalidKeyError');

/** A key that is empty, absolute, has `.`/`..` segments, backslashes or NUL bytes. */
export class InvalidKeyError extends TricopyError {
  readonly [INVALID_KEY] = true;
  constructor(key: string, reason: string) {
    super('INVALID_KEY', `invalid key ${JSON.stringify(key)}: ${reason}`);
    this.name = 'InvalidKeyError';
  }

  static override isInstance(value: unknown): value is InvalidKeyError {
    return hasMarker(value, INVALID_KEY);
  }
}

const SOURCE = Symbol.for('tricopy.error.SourceError');

/** A source failed to dump, restore or connect. `details` carries the tool's redacted stderr. */
export class SourceError extends TricopyError {
  readonly [SOURCE] = true;
  constructor(message: string, options?: { cause?: unknown; details?: string }) {
    super('SOURCE', message, options);
    this.name = 'SourceError';
  }

  static override isInstance(value: unknown): value is SourceError {
    return hasMarker(value, SOURCE);
  }
}

const DESTINATION = Symbol.for('tricopy.error.DestinationError');

/** A destination failed to store, read, stat, list or delete. */
export class DestinationError extends TricopyError {
  readonly [DESTINATION] = true;
  /** Transient failures (network resets, timeouts) may be retried; permanent ones (auth, no bucket) not. */
  readonly retryable: boolean;
  constructor(message: string, options?: { cause?: unknown; details?: string; retryable?: boolean }) {
    super('DESTINATION', message, options);
    this.name = 'DestinationError';
    this.retryable = options?.retryable ?? false;
  }

  static override isInstance(value: unknown): value is DestinationError {
    return hasMarker(value, DESTINATION);
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
