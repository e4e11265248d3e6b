import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { segmentName } from '../copies/wal-names.js';
import type { Harness } from './harness.js';

/** A base backup's details as source-postgres reports them, for segment `start` (timeline 1). */
export function baseDetails(start: number, stopTime: string): Record<string, unknown> {
  return {
    kind: 'base',
    timeline: 1,
    startLsn: '0/0',
    stopLsn: '0/0',
    startWal: segmentName(1, start),
    stopWal: segmentName(1, start),
    startTime: stopTime,
    stopTime,
    systemIdentifier: '1',
  };
}

/**
 * Stores WAL segment `n` of job `app` (timeline 1) on every destination of the harness, recorded in the catalog
 * as the archiver records it, stored at 10:nn on 2026-12-06.
 */
export async function storeSegment(h: Harness, n: number, job = 'app'): Promise<string> {
  const name = segmentName(1, n);
  const bytes = Buffer.from(`segment ${name}`);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const key = `${job}/wal/${name}`;
  await h.session.catalog.recordWalSegment({
    job,
    name,
    timeline: 1,
    kind: 'segment',
    rawSize: 16 * 1024 * 1024,
    rawSha256: sha256,
    size: bytes.length,
    sha256,
    compression: 'none',
    encrypted: false,
    key,
    storedAt: `2026-12-06T10:${String(n).padStart(2, '0')}:00.000Z`,
  });
  for (const [destination, store] of Object.entries(h.destinations)) {
    await store.put(key, Readable.from([bytes]));
    await h.session.catalog.recordWalCopy({ job, name, destination, status: 'verified' });
  }
  return name;
}
