import { registerPostgresCatalog } from '@tricopy/core';
import { openPostgresCatalog } from './pg-catalog.js';

/** Makes `catalog: postgres://…` in a config open the PostgreSQL catalog (loads `pg`, not the queue's pg-boss). */
export function registerFleet(): void {
  registerPostgresCatalog(openPostgresCatalog);
}

export { openPostgresCatalog };
