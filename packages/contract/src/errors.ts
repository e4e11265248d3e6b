export { DestinationError, isRetryable } from './errors/destination-error.js';
export { InvalidKeyError } from './errors/invalid-key-error.js';
export { NotFoundError } from './errors/not-found-error.js';
export { SourceError } from './errors/source-error.js';
export { type ErrorCode, TricopyError } from './errors/tricopy-error.js';
