export { CONTRACT_VERSION, SUPPORTED_CONTRACT_VERSIONS } from './version.js';
export {
  TricopyError,
  NotFoundError,
  InvalidKeyError,
  SourceError,
  DestinationError,
  type ErrorCode,
} from './errors.js';
export { assertSafeKey, assertSafePrefix } from './keys.js';
export { silentLogger, type Logger, type LogFields } from './logger.js';
export type * from './plugin.js';
