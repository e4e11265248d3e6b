import { createReadStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Dump } from '@tricopy/contract';
import type { WalSegmentRow } from '../catalog/catalog.js';
import { walKey } from '../manifest/layout.js';
import { COMPRESSION_SUFFIX, chooseCompression } from '../pipeline/compression.js';
import { HashCounter } from '../pipeline/hash-counter.js';
import type { Artifact } from '../store/backup-artifact.js';
import { crossCheckCopies } from '../store/backup-checks.js';
import { type Copy, isVerified, summarizeFailures } from '../store/backup-copy.js';
import { discardCopies } from '../store/backup-discard.js';
import { prepareStream } from '../store/backup-prepare.js';
import type { RunContext } from '../store/backup-run.js';
import { streamDump } from '../store/backup-stream.js';
import { openDestinations } from '../store/open-destinations.js';
import { describeError } from '../util/errors.js';
import type { WalContext } from './wal-context.js';
import { timelineOf, walKindOf } from './wal-names.js';

/** What storing one WAL file gave: the catalog's row when at least one copy is verified. */
export interface WalStoreResult {
  readonly name: string;
  readonly stored?: WalSegmentRow;
  readonly copies: readonly Copy[];
  readonly error?: string;
}

/**
 * Stores one WAL file of the spool as a backup's artifact is stored: read once, compressed and encrypted as the job
 * says, fanned out to every destination, proven in the stream, each copy cross-checked. Records the file and its
 * copies when at least one copy is verified; otherwise nothing is kept and the file waits for the next attempt.
 */
export async function storeWalFile(ctx: WalContext, name: string): Promise<WalStoreResult> {
  const path = join(ctx.folders.spool, name);
  const run = walRun(ctx, name, (await stat(path)).size);
  const artifact = walArtifact(ctx, name);
  const prepared = await prepareStream(run);
  const spoolPath = storedArtifactPath(ctx, artifact.key);
  await rm(spoolPath, { force: true });
  const opened = await openDestinations(run, true);
  const streamed = await streamDump(run, walDump(path), opened, artifact, { ...prepared, spoolPath });
  if (streamed.kind === 'failed') {
    await rm(spoolPath, { force: true });
    const copies = await discardCopies(run, streamed.copies, artifact.key, `not kept: ${streamed.reason}`);
    return { name, copies, error: streamed.reason };
  }
  const copies = await crossCheckCopies(
    run,
    streamed.copies,
    artifact.key,
    streamed.produced,
    async () => {},
  );
  if (!copies.some(isVerified)) {
    await rm(spoolPath, { force: true });
    return { name, copies, error: summarizeFailures(copies) };
  }
  const row: WalSegmentRow = {
    job: ctx.job.name,
    name,
    timeline: timelineOf(name),
    kind: walKindOf(name),
    rawSize: streamed.raw.size,
    rawSha256: streamed.raw.sha256,
    size: streamed.produced.size,
    sha256: streamed.produced.sha256,
    compression: artifact.compression,
    encrypted: artifact.recipients !== undefined,
    key: artifact.key,
    storedAt: ctx.session.now().toISOString(),
  };
  await recordStored(ctx, row, copies);
  // Kept only for the copies to write again.
  if (copies.every(isVerified)) await rm(spoolPath, { force: true });
  return { name, stored: row, copies };
}

async function recordStored(ctx: WalContext, row: WalSegmentRow, copies: readonly Copy[]): Promise<void> {
  await ctx.session.catalog.transaction(async (tx) => {
    await tx.recordWalSegment(row);
    for (const copy of copies) {
      await tx.recordWalCopy({
        job: row.job,
        name: row.name,
        destination: copy.destination,
        status: isVerified(copy) ? 'verified' : 'failed',
        ...(copy.state === 'failed' ? { error: copy.error } : {}),
      });
    }
  });
}

/** The run context the store steps work with, for one WAL file (no backup record: the catalog's WAL rows are). */
function walRun(ctx: WalContext, name: string, size: number): RunContext {
  return {
    session: ctx.session,
    job: ctx.job,
    backupId: `wal-${name}`,
    started: ctx.session.now(),
    signal: ctx.signal,
    events: undefined,
    hasher: new HashCounter(),
    sizeHint: size,
    dispose: () => {},
  };
}

/** Where the stored artifact of a WAL file is kept while its copies may need writing again. */
export function storedArtifactPath(ctx: Pick<WalContext, 'folders'>, key: string): string {
  return join(ctx.folders.stored, key.slice(key.lastIndexOf('/') + 1));
}

/** The artifact of one WAL file: `<job>/wal/<name>[.zst|.gz][.age]`. */
export function walArtifact(ctx: Pick<WalContext, 'job'>, name: string): Artifact {
  const compression = chooseCompression(ctx.job.compression, false);
  const recipients = ctx.job.encryption?.recipients;
  const suffix = `${COMPRESSION_SUFFIX[compression]}${recipients ? '.age' : ''}`;
  return {
    key: walKey(ctx.job.name, name, suffix),
    compression,
    ...(recipients === undefined ? {} : { recipients }),
  };
}

/** A WAL file of the spool as a dump: complete once read to its end. */
function walDump(path: string): Dump {
  const stream = createReadStream(path);
  const completion = new Promise<{ engine: string; engineVersion: string }>((resolve, reject) => {
    stream.once('end', () => resolve({ engine: 'postgresql', engineVersion: 'wal' }));
    stream.once('error', (error) => reject(new Error(`reading ${path}: ${describeError(error)}`)));
  });
  return { stream, format: 'wal', extension: 'wal', completion };
}
