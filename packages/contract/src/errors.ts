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

/**
 * Base of every error tricopy and its plugins raise on purpose. The message is meant for a person:
 * one line that says what failed and what to fix, with no secret in it.
 * `isInstance` works across several copies of this package (a plugin may bring its own).
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
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[MARKER] === true;
  }

  static hasCode(value: unknown, code: ErrorCode): value is TricopyError {
    return TricopyError.isInstance(value) && value.code === code;
  }
}

/** `get` or `stat`-dependent operations on a key that does not exist. */
export class NotFoundError extends TricopyError {
  readonly key: string;
  constructor(key: string, where: string) {
    super('NOT_FOUND', `${where}: no object under key "${key}"`);
    this.name = 'NotFoundError';
    this.key = key;
  }
}

/** A key that is empty, absolute, has `.`/`..` segments, backslashes or NUL bytes. */
export class InvalidKeyError extends TricopyError {
  constructor(key: string, reason: string) {
    super('INVALID_KEY', `invalid key ${JSON.stringify(key)}: ${reason}`);
    this.name = 'InvalidKeyError';
  }
}

/** A source failed to dump, restore or connect. `details` carries the tool's redacted stderr. */
export class SourceError extends TricopyError {
  constructor(message: string, options?: { cause?: unknown; details?: string }) {
    super('SOURCE', message, options);
    this.name = 'SourceError';
  }
}

/** A destination failed to store, read, stat, list or delete. */
export class DestinationError extends TricopyError {
  /** Transient failures (network resets, timeouts) may be retried; permanent ones (auth, no bucket) not. */
  readonly retryable: boolean;
  constructor(message: string, options?: { cause?: unknown; details?: string; retryable?: boolean }) {
    super('DESTINATION', message, options);
    this.name = 'DestinationError';
    this.retryable = options?.retryable ?? false;
  }
}
