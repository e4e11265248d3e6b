export { recordingLogger, type TestContextOptions, testContext } from './context.js';
export {
  type DatabaseSourceUnderTest,
  type KilledRestores,
  killedRestoresCase,
  type OwnDatabaseRestore,
  ownDatabaseRestoreCase,
  type ScratchSweep,
  scratchSweepCases,
} from './database-cases.js';
export {
  type DestinationSuiteOptions,
  type DestinationUnderTest,
  destinationSuite,
  UNSAFE_KEYS,
} from './destination-suite.js';
export { captureError, expectCode } from './errors.js';
export {
  type Fault,
  type FaultError,
  type FaultRule,
  MemoryDestination,
  type MemoryDestinationOptions,
  memoryDestinationPlugin,
} from './memory-destination.js';
export { ODD_TABLE_NAMES } from './odd-names.js';
export { dumpToFile, rejectionOf, validOptions } from './plugin-helpers.js';
export { rowCountsOf, type SourceSuiteOptions, type SourceUnderTest, sourceSuite } from './source-suite.js';
export {
  bufferBody,
  drain,
  endlessBody,
  failingBody,
  hashStream,
  type RandomBody,
  randomBody,
  readAll,
  sha256Hex,
} from './streams.js';
