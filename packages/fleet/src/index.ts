export { openPostgresCatalog, registerFleet } from './catalog-entry.js';
export { enqueueRuns, type FinishedRun, type QueuedRun, waitForRuns } from './enqueue.js';
export { runFleetDaemon } from './fleet-daemon.js';
export {
  BACKUP_QUEUE,
  QUEUE_SCHEMA,
  type RunOutput,
  type RunRequest,
  startQueue,
  VERIFY_QUEUE,
  type VerifyRequest,
} from './queue.js';
export { type Resource, resourcesOf, takeSlots } from './run-slots.js';
export { syncSchedules } from './schedules.js';
export { runWorker, type WorkerOptions } from './worker.js';
