import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { create, WriteEntry } from 'tar';
import { describe, expect, it } from 'vitest';
import { baseDetails } from './base-backup.js';
import { BaseTarWatch } from './base-tar-watch.js';

const LABEL = `START WAL LOCATION: 0/2000028 (file 000000010000000000000002)
CHECKPOINT LOCATION: 0/2000060
START TIME: 2026-12-07 01:02:03 UTC
START TIMELINE: 1
`;
const MANIFEST = JSON.stringify({
  'WAL-Ranges': [{ Timeline: 1, 'Start-LSN': '0/2000028', 'End-LSN': '0/2000100' }],
});
const FACTS = {
  server: { versionNum: 150018, version: '15.18' },
  systemIdentifier: '7300000000000000001',
  segmentBytes: 16 * 1024 * 1024,
};

async function archive(): Promise<Uint8Array> {
  const stream = create({}, [
    new WriteEntry({ path: 'backup_label', mode: 0o600 }, LABEL),
    new WriteEntry({ path: 'base/1/1259', mode: 0o600 }, new Uint8Array(100_000).fill(7)),
    new WriteEntry({ path: 'backup_manifest', mode: 0o600 }, MANIFEST),
  ]);
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Passes `bytes` through a watch in small chunks; returns the watch and the bytes that came out. */
async function watched(bytes: Uint8Array): Promise<{ watch: BaseTarWatch; out: Buffer }> {
  const chunks: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += 3000) chunks.push(Buffer.from(bytes.subarray(at, at + 3000)));
  const watch = new BaseTarWatch();
  const out: Buffer[] = [];
  await pipeline(Readable.from(chunks), watch, async (source: AsyncIterable<Buffer>) => {
    for await (const chunk of source) out.push(chunk);
  });
  return { watch, out: Buffer.concat(out) };
}

describe('BaseTarWatch', () => {
  it('passes the tar through unchanged and reads the details from its small files', async () => {
    const bytes = await archive();
    const { watch, out } = await watched(bytes);
    expect(out.equals(Buffer.from(bytes))).toBe(true);
    expect(baseDetails(watch, FACTS, new Date('2026-12-07T01:05:00Z'))).toEqual({
      kind: 'base',
      timeline: 1,
      startLsn: '0/2000028',
      stopLsn: '0/2000100',
      startWal: '000000010000000000000002',
      stopWal: '000000010000000000000002',
      startTime: '2026-12-07T01:02:03.000Z',
      stopTime: '2026-12-07T01:05:00.000Z',
      systemIdentifier: '7300000000000000001',
      bytes: bytes.length,
    });
  });

  it('says the backup is truncated when the tar stops early', async () => {
    const bytes = await archive();
    const { watch } = await watched(bytes.subarray(0, 50_000));
    expect(baseDetails(watch, FACTS, new Date())).toMatch(/truncated|damaged/);
  });

  it('says which small file is missing', async () => {
    const stream = create({}, [new WriteEntry({ path: 'backup_label', mode: 0o600 }, LABEL)]);
    const { watch } = await watched(new Uint8Array(await new Response(stream).arrayBuffer()));
    expect(baseDetails(watch, FACTS, new Date())).toBe('the backup has no backup_manifest');
  });
});
