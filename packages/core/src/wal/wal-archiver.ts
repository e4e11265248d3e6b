import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { WalArchiving } from '@tricopy/contract';
import { hashStream } from '../pipeline/hash-counter.js';
import type { Session } from '../session/session.js';
import { UsageError } from '../util/errors.js';
import { settle } from '../util/settled.js';
import { acknowledgeStored } from './wal-ack.js';
import { type CaughtUp, catchUpWal } from './wal-catch-up.js';
import type { WalContext, WalFolders } from './wal-context.js';
import { storeWalFile, type WalStoreResult } from './wal-store.js';
import { SpoolWatch } from './wal-watch.js';

/** What the archiver tells its caller (the CLI prints it, the daemon logs it). */
export interface WalEvents {
  /** A WAL file was stored (on some destinations at least) or could not be. */
  onStored?(result: WalStoreResult): void;
  /** A copy a destination lacked was written again, or could not be. */
  onCaughtUp?(result: CaughtUp): void;
}

export interface WalArchiverOptions extends WalEvents {
  /** Stops the archiver: the file in hand is finished, what is safe acknowledged, then it returns. */
  readonly signal: AbortSignal;
  /** How often the spool is scanned when no change was seen (default 2 s). */
  readonly scanIntervalMs?: number;
  /** How often destinations that lack copies are caught up (default 10 s; and at start). */
  readonly catchUpIntervalMs?: number;
}

/** How often every WAL file's copies are looked at again, even when no store failed. */
const FULL_SCAN_MS = 10 * 60_000;

interface RoundState {
  /** Some destination may lack a copy (at start, and after a store that failed somewhere): catch-up is due. */
  lacking: boolean;
  nextCatchUp: number;
  nextFullScan: number;
  /** When WAL last moved on (a file stored, or a switch asked for): switchAfter counts from there. */
  lastProgress: number;
  /** When a switch was last asked for: a partial file written since holds WAL no switch has closed yet. */
  lastSwitch: number;
}

/**
 * File times come from the kernel's coarse clock, up to a few milliseconds behind Date.now(): a partial file written
 * this long before a switch still counts as written after it (at worst one switch more, which the server ignores when
 * no WAL came since).
 */
const FILE_TIME_SLACK_MS = 100;

/**
 * Archives one job's WAL for one lifetime of its receiver: every complete file the receiver writes into the spool is
 * stored on every destination, recorded, and acknowledged once the job's policy holds for it and for every earlier
 * one. Resolves when `signal` stopped it; rejects when the receiver failed, after storing what it had received.
 */
export async function archiveWal(
  session: Session,
  jobName: string,
  folders: WalFolders,
  options: WalArchiverOptions,
): Promise<void> {
  const job = session.job(jobName);
  const wal = await walOf(session, jobName);
  const receiving = new AbortController();
  // Not aborted by a stop: the file in hand is finished first.
  const writing = new AbortController();
  const ctx: WalContext = { session, job, wal, folders, signal: writing.signal };
  const watch = new SpoolWatch(folders.spool, options.scanIntervalMs ?? 2000);
  const stopAll = () => receiving.abort(options.signal.reason);
  options.signal.addEventListener('abort', stopAll, { once: true });
  try {
    if (options.signal.aborted) return;
    const receiver = await wal.receive(folders.spool, { signal: receiving.signal });
    const ended = settle(receiver.ended);
    let receiverEnded = false;
    void ended.then(() => {
      receiverEnded = true;
    });
    const state: RoundState = {
      lacking: true,
      nextCatchUp: 0,
      nextFullScan: Date.now() + FULL_SCAN_MS,
      lastProgress: Date.now(),
      lastSwitch: Number.NEGATIVE_INFINITY,
    };
    for (;;) {
      await round(ctx, state, options);
      if (options.signal.aborted || receiverEnded) break;
      await watch.wait(options.signal, ended);
    }
    const end = await ended;
    if (!receiving.signal.aborted) {
      // The receiver stopped by itself: what it wrote is stored before the caller starts it again.
      await round(ctx, state, { ...options, catchUpIntervalMs: Number.POSITIVE_INFINITY });
      throw end.ok ? new Error('the WAL receiver exited') : end.error;
    }
  } finally {
    options.signal.removeEventListener('abort', stopAll);
    watch.close();
    receiving.abort();
    writing.abort();
  }
}

async function walOf(session: Session, jobName: string): Promise<WalArchiving> {
  const source = await session.source(jobName);
  if (source.wal === undefined) {
    throw new UsageError(
      `job "${jobName}" does not archive WAL: set wal: true on its source (a PostgreSQL source with mode: base)`,
    );
  }
  return source.wal;
}

/**
 * WAL files stored at once, so a file's round trips to the stores overlap the next file's work; acknowledgement stays
 * in archive order whatever finishes first. On loopback, where the cores are the bound, three at once took 0.87–0.95×
 * the time of one after another, for 15–20 MiB more (bench/results/2026-12-07-wal.md).
 */
const STORING_AT_ONCE = 3;

/** Stores what is complete, acknowledges what is safe, catches destinations up when due, switches when due. */
async function round(ctx: WalContext, state: RoundState, options: WalArchiverOptions): Promise<void> {
  const pending = await completeFiles(ctx);
  await storePending(ctx, state, options, pending);
  await acknowledgeStored(ctx, pending);
  // Copies found bad or missing by others (verify) are noticed at least this often.
  if (Date.now() >= state.nextFullScan) {
    state.lacking = true;
    state.nextFullScan = Date.now() + FULL_SCAN_MS;
  }
  if (state.lacking && Date.now() >= state.nextCatchUp && !options.signal.aborted) {
    const { done, complete } = await catchUpWal(ctx);
    for (const result of done) options.onCaughtUp?.(result);
    state.lacking = !complete;
    state.nextCatchUp = Date.now() + (options.catchUpIntervalMs ?? 10_000);
  }
  if (await switchDue(ctx, state)) {
    await ctx.wal.switchSegment?.();
    state.lastProgress = Date.now();
    state.lastSwitch = state.lastProgress;
  }
}

/**
 * Stores the pending files, oldest first, STORING_AT_ONCE at a time. After a file that could not be stored anywhere,
 * none is started: the next round tries again from there (the ones already running finish).
 */
async function storePending(
  ctx: WalContext,
  state: RoundState,
  options: WalArchiverOptions,
  pending: readonly string[],
): Promise<void> {
  const queue = [...pending];
  let failed = false;
  const worker = async (): Promise<void> => {
    for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
      if (failed || options.signal.aborted) return;
      if (await alreadyStored(ctx, name)) continue;
      const result = await storeWalFile(ctx, name);
      options.onStored?.(result);
      if (result.copies.some((copy) => copy.state === 'failed')) state.lacking = true;
      if (result.stored === undefined) failed = true;
      else state.lastProgress = Date.now();
    }
  };
  await Promise.all(Array.from({ length: STORING_AT_ONCE }, worker));
}

/** The spool's complete WAL files, in archive order. */
async function completeFiles(ctx: WalContext): Promise<string[]> {
  const names = await readdir(ctx.folders.spool);
  return names.filter((name) => ctx.wal.isComplete(name)).sort((a, b) => ctx.wal.compare(a, b));
}

/** Recorded already with these very bytes (stored before the archiver stopped, not yet acknowledged). */
async function alreadyStored(ctx: WalContext, name: string): Promise<boolean> {
  const [row] = await ctx.session.catalog.walSegments(ctx.job.name, { from: name, to: name });
  if (row === undefined) return false;
  const raw = await hashStream(createReadStream(join(ctx.folders.spool, name)));
  return raw.sha256 === row.rawSha256 && raw.size === row.rawSize;
}

/**
 * switchAfter has passed since WAL last moved on, and a partial file was written since the last switch: storing an
 * older file is no reason to wait, as the partial one may hold the end of the same burst.
 */
async function switchDue(ctx: WalContext, state: RoundState): Promise<boolean> {
  const after = ctx.wal.switchAfterMs;
  if (ctx.wal.switchSegment === undefined || after === undefined) return false;
  if (Date.now() - state.lastProgress < after) return false;
  const partials = (await readdir(ctx.folders.spool)).filter((name) => name.endsWith('.partial'));
  for (const name of partials) {
    const written = await stat(join(ctx.folders.spool, name)).catch(() => undefined);
    if (written !== undefined && written.mtimeMs > state.lastSwitch - FILE_TIME_SLACK_MS) return true;
  }
  return false;
}
