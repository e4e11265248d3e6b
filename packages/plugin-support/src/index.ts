export { applyAfterRestore, hasAfterRestore } from './after-restore.js';
export { findOnPath, isExecutable } from './executable.js';
export { type FeedToolRun, feedTool } from './feed-tool.js';
export { fsyncDir } from './fsync-dir.js';
export {
  baseFormat,
  GLOBALS_FORMAT_SUFFIX,
  type GlobalsRestoreResult,
  type GlobalsRestorer,
  hasGlobalsSection,
  MAX_GLOBALS_BYTES,
  openRestoreInput,
  restoreWithGlobals,
  splitGlobalsSection,
  withGlobalsSection,
  withoutGlobals,
} from './globals-section.js';
export { loadToolSettings, readPasswordOption, redactorWith, type ToolSettings } from './password.js';
export { queryValueText } from './query-value.js';
export { RESTORE_SWAP_PREFIX, type SwapNames, swapIdOf, swapNames } from './restore-database.js';
export {
  isAbandonedScratch,
  RESTORE_TEST_PREFIX,
  scratchDatabaseName,
} from './scratch-database.js';
export { collectTail, firstErrorLine } from './stderr-tail.js';
export {
  findZstd,
  type ProgramExit,
  startToolPipe,
  type ToolPipe,
  type ToolPipeRequest,
  zstdArgs,
} from './tool-pipe.js';
export { type VersionOutput, versionOutput } from './version-output.js';
