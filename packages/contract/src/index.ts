export { childEnv } from './child-env.js';
export {
  DestinationError,
  type ErrorCode,
  InvalidKeyError,
  isRetryable,
  NotFoundError,
  SourceError,
  TricopyError,
} from './errors.js';
export {
  createFileExclusive,
  EXCLUSIVE_READ_WRITE,
  EXCLUSIVE_WRITE,
  openExclusive,
  tempPathBeside,
  writeFileBeside,
} from './exclusive-file.js';
export { assertSafeKey, assertSafePrefix } from './keys.js';
export { type LogFields, type Logger, silentLogger } from './logger.js';
export { resolveConfigPath } from './paths.js';
export type * from './plugin.js';
export { folderOf, isDeadLeftover } from './sweep.js';
export { CONTRACT_VERSION, type ContractVersion, SUPPORTED_CONTRACT_VERSIONS } from './version.js';
