import { registerPostgresCatalog } from '@tricopy/core';
import { openPostgresCatalog } from './pg-catalog.js';

export { openPostgresCatalog } from './pg-catalog.js';

/** Makes `catalog: postgres://…` in a config open the PostgreSQL catalog. */
export function registerFleet(): void {
  registerPostgresCatalog(openPostgresCatalog);
}
export { enqueueRuns, type FinishedRun, type QueuedRun, waitForRuns } from './enqueue.js';
export { runFleetDaemon } from './fleet-daemon.js';
export { BACKUP_QUEUE, QUEUE_SCHEMA, type RunOutput, type RunRequest, startQueue } from './queue.js';
export { type Resource, resourcesOf, takeSlots } from './run-slots.js';
export { syncSchedules } from './schedules.js';
export { runWorker, type WorkerOptions } from './worker.js';
