export { type FeedToolRun, feedTool } from './feed-tool.js';
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
export {
  isAbandonedScratch,
  RESTORE_TEST_PREFIX,
  scratchDatabaseName,
} from './scratch-database.js';
export { collectTail, firstErrorLine } from './stderr-tail.js';
