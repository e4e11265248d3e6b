import { randomBytes } from 'node:crypto';

/** The prefix of every database a restore test creates (and drops again, unless its process was killed). */
export const RESTORE_TEST_PREFIX = 'tricopy_restoretest_';

/** A restore test that has created its database takes at most this long to connect to it. */
const CONNECT_GRACE_MS = 60_000;

/** `tricopy_restoretest_t<ms since 1970, base 36>_<random hex>`: 42 characters, inside every server's limit. */
export function scratchDatabaseName(now: Date = new Date()): string {
  return `${RESTORE_TEST_PREFIX}t${now.getTime().toString(36)}_${randomBytes(6).toString('hex')}`;
}

/**
 * Whether a scratch database nobody is connected to was left by a restore test that ended without dropping it:
 * created before `olderThan` less a minute, or named by an older tricopy (no time in the name).
 */
export function isAbandonedScratch(name: string, olderThan: Date): boolean {
  if (!name.startsWith(RESTORE_TEST_PREFIX)) return false;
  const stamped = /^t([0-9a-z]+)_/.exec(name.slice(RESTORE_TEST_PREFIX.length));
  if (stamped === null) return true;
  return Number.parseInt(stamped[1]!, 36) < olderThan.getTime() - CONNECT_GRACE_MS;
}
