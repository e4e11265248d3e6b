import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, rename, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createFileExclusive } from '@tricopy/contract';
import type { Catalog } from '../catalog/catalog.js';
import type { JobLock, LockAttempt, LockOwner, LockPurpose } from '../catalog/model.js';

export type { JobLock, LockAttempt, LockPurpose } from '../catalog/model.js';

const BEING: Record<LockPurpose, string> = {
  backup: 'being backed up',
  prune: 'being pruned',
  verify: 'being verified',
  repair: 'being repaired',
  forget: 'having a backup forgotten',
  archive: 'having its WAL archived',
};

/**
 * Why a job's lock could not be taken: `job "app" is being verified by pid 123 since …; try again when it ends`.
 * `who` is `pid 123` or `pid 123 on host`; a holder that did not record its purpose (an older tricopy) is "running".
 */
export function lockHeldMessage(
  job: string,
  holder: { readonly who: string; readonly since: string | null; readonly purpose?: string | undefined },
  where?: string,
): string {
  const since = holder.since === null ? '' : ` since ${holder.since}`;
  const file = where === undefined ? '' : ` (lock file ${where})`;
  const being = BEING[holder.purpose as LockPurpose] as string | undefined;
  if (being === undefined) {
    return `job "${job}" is already running (${holder.who}${since}${where === undefined ? '' : `; lock file ${where}`})`;
  }
  return `job "${job}" is ${being} by ${holder.who}${since}; try again when it ends${file}`;
}

/** A purpose read back from a lock, if it is one this tricopy knows. */
export function lockPurposeOf(value: unknown): LockPurpose | undefined {
  return typeof value === 'string' && Object.hasOwn(BEING, value) ? (value as LockPurpose) : undefined;
}

/** Lock files live beside the catalog, so every tricopy process using that catalog shares them. */
export function lockPath(catalogPath: string, job: string): string {
  return join(dirname(catalogPath), 'locks', `${job}.lock`);
}

interface LockSession {
  readonly catalog: Catalog;
  readonly config: { readonly catalogPath: string };
  now(): Date;
}

/** Takes `job`'s lock where the session's catalog keeps them: in its database (fleet mode), else a lock file. */
export function takeJobLock(session: LockSession, job: string, purpose: LockPurpose): Promise<LockAttempt> {
  const now = session.now();
  return (
    session.catalog.jobLocks?.acquire(job, now, purpose) ??
    acquireJobLock(lockPath(session.config.catalogPath, job), job, now, purpose)
  );
}

/**
 * takeJobLock, trying again every second for up to `waitMs` while someone else holds the lock (in fleet mode a
 * rotating verification holds it for the seconds it takes to notice a queued backup and stop).
 */
export async function takeJobLockWithin(
  session: LockSession,
  job: string,
  purpose: LockPurpose,
  waitMs: number,
  signal?: AbortSignal,
): Promise<LockAttempt> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const attempt = await takeJobLock(session, job, purpose);
    if (attempt.acquired || Date.now() >= deadline || signal?.aborted) return attempt;
    await sleep(1000, undefined, { signal }).catch(() => undefined);
  }
}

/** runningBackupIsAlive, wherever the session's catalog keeps its locks. */
export function backupIsAlive(
  session: LockSession,
  job: string,
  startedAt: string,
): Promise<boolean | undefined> {
  return (
    session.catalog.jobLocks?.isAlive(job, startedAt) ??
    runningBackupIsAlive(lockPath(session.config.catalogPath, job), startedAt)
  );
}

/**
 * Takes the per-job lock (an O_EXCL lock file holding pid, host, time and purpose). A lock whose holder is a dead
 * process on this host is stale and taken over; a live holder, or one on another host, keeps it.
 */
export async function acquireJobLock(
  path: string,
  job: string,
  now: Date = new Date(),
  purpose: LockPurpose = 'backup',
): Promise<LockAttempt> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const owner: LockOwner = {
    pid: process.pid,
    host: hostname(),
    since: now.toISOString(),
    token: randomBytes(8).toString('hex'),
    purpose,
  };
  let tookOverFrom: LockOwner | undefined;
  for (let attempt = 0; attempt < 5; attempt++) {
    if (await createExclusive(path, owner)) {
      return { acquired: true, lock: heldLock(path, owner), ...(tookOverFrom ? { tookOverFrom } : {}) };
    }
    const text = await readFile(path, 'utf8').catch(() => undefined);
    if (text === undefined) continue; // released meanwhile: try again
    if (text.length === 0 && attempt < 2) {
      // Possibly a holder between creating the file and writing it: look again shortly.
      await new Promise((resolve) => setTimeout(resolve, 100));
      continue;
    }
    const holder = parseOwner(text);
    if (holder !== undefined && !isStale(holder)) {
      const who = holder.host === owner.host ? `pid ${holder.pid}` : `pid ${holder.pid} on ${holder.host}`;
      return {
        acquired: false,
        path,
        holder,
        message: lockHeldMessage(job, { who, since: holder.since, purpose: holder.purpose }, path),
      };
    }
    if (holder === undefined && text.length > 0) {
      return {
        acquired: false,
        path,
        message: `job "${job}": lock file ${path} is not one tricopy wrote; remove it if no tricopy is running`,
      };
    }
    // Stale (dead holder on this host) or empty (a holder that died while writing it): move it aside, and only
    // discard it if what was moved is still the stale lock we examined.
    const aside = `${path}.stale-${owner.token}`;
    try {
      await rename(path, aside);
    } catch {
      continue;
    }
    const moved = await readFile(aside, 'utf8').catch(() => '');
    if (moved === text) {
      await unlink(aside).catch(() => undefined);
      tookOverFrom = holder;
    } else {
      await link(aside, path).catch(() => undefined);
      await unlink(aside).catch(() => undefined);
    }
  }
  return { acquired: false, path, message: `job "${job}": could not take lock file ${path} (contended)` };
}

/**
 * Whether a backup of `job` started at `startedAt` and still marked running in the catalog has a live process
 * behind it: `false` when no lock is held, its holder is a dead process on this host, or the lock was taken after
 * the backup started (a later run); `undefined` when the holder is on another host (cannot tell).
 */
export async function runningBackupIsAlive(path: string, startedAt: string): Promise<boolean | undefined> {
  const text = await readFile(path, 'utf8').catch(() => undefined);
  const holder = text === undefined ? undefined : parseOwner(text);
  if (holder === undefined) return false;
  if (holder.host !== hostname()) return undefined;
  if (isStale(holder)) return false;
  return holder.since <= startedAt;
}

async function createExclusive(path: string, owner: LockOwner): Promise<boolean> {
  try {
    await createFileExclusive(path, `${JSON.stringify(owner)}\n`);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

function heldLock(path: string, owner: LockOwner): JobLock {
  let released = false;
  return {
    path,
    async release() {
      if (released) return;
      released = true;
      const text = await readFile(path, 'utf8').catch(() => undefined);
      // Only remove the lock if it is still ours.
      if (text !== undefined && parseOwner(text)?.token === owner.token)
        await unlink(path).catch(() => undefined);
    },
  };
}

function parseOwner(text: string): LockOwner | undefined {
  try {
    const value = JSON.parse(text) as Partial<LockOwner>;
    if (typeof value.pid !== 'number' || typeof value.host !== 'string') return undefined;
    const { purpose, ...owner } = value as LockOwner;
    const known = lockPurposeOf(purpose);
    return known === undefined ? owner : { ...owner, purpose: known };
  } catch {
    // not ours
  }
  return undefined;
}

function isStale(holder: LockOwner): boolean {
  if (holder.host !== hostname()) return false;
  if (holder.pid === process.pid) return false;
  try {
    process.kill(holder.pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Runs `fn` holding the job's lock (or without it for a dry run, which changes nothing); `ran: false` with the
 * holder's description when another process holds it.
 */
export async function withJobLock(
  session: LockSession,
  job: string,
  purpose: LockPurpose,
  dryRun: boolean,
  fn: () => Promise<void>,
): Promise<{ ran: true } | { ran: false; message: string }> {
  if (dryRun) {
    await fn();
    return { ran: true };
  }
  const attempt = await takeJobLock(session, job, purpose);
  if (!attempt.acquired) return { ran: false, message: attempt.message };
  try {
    await fn();
    return { ran: true };
  } finally {
    await attempt.lock.release();
  }
}
