import { generateKeyPair, unsealText } from '@tricopy/age';
import { describe, expect, it } from 'vitest';
import type { Manifest } from './manifest.js';
import { sealManifest } from './manifest-seal.js';

const manifest = (details: Record<string, unknown>): Manifest => ({
  manifestVersion: 1,
  tool: { name: 'tricopy', version: '0' },
  job: 'pg',
  backupId: 'b1',
  createdAt: '2026-12-06T10:00:00.000Z',
  finishedAt: '2026-12-06T10:01:00.000Z',
  source: { type: 'postgres', description: 'postgres://app@db/app', details },
  artifact: {
    key: 'pg/b1/pg.tar',
    format: 'pg-base-tar',
    extension: 'tar',
    compression: 'zstd',
    size: 1,
    sha256: 'a',
  },
  dumps: 1,
  copies: [],
});

describe('sealManifest', () => {
  it('leaves a base backup WAL positions readable and seals the rest of its details', async () => {
    const { recipient, identity } = await generateKeyPair();
    const details = {
      kind: 'base',
      timeline: 1,
      startWal: '000000010000000000000002',
      stopWal: '000000010000000000000002',
      startTime: '2026-12-06T10:00:01Z',
      stopTime: '2026-12-06T10:00:59Z',
      systemIdentifier: '7340000000000000000',
    };
    const sealed = await sealManifest(manifest(details), [recipient], { size: 1, sha256: 'b' });
    const { systemIdentifier: _, ...open } = details;
    expect(sealed.source).toEqual({ type: 'postgres', details: open });
    const facts = JSON.parse(await unsealText([identity], sealed.encryption?.sealed ?? ''));
    expect(facts.source.details).toEqual(details);
  });

  it('leaves nothing of other details readable', async () => {
    const { recipient } = await generateKeyPair();
    const sealed = await sealManifest(manifest({ kind: 'dump', database: 'app' }), [recipient], {
      size: 1,
      sha256: 'b',
    });
    expect(sealed.source).toEqual({ type: 'postgres' });
  });
});
