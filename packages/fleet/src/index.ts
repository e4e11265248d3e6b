import { registerPostgresCatalog } from '@tricopy/core';
import { openPostgresCatalog } from './pg-catalog.js';

export { openPostgresCatalog } from './pg-catalog.js';

/** Makes `catalog: postgres://…` in a config open the PostgreSQL catalog. */
export function registerFleet(): void {
  registerPostgresCatalog(openPostgresCatalog);
}
