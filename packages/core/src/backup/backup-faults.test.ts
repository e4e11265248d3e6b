import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { FaultError } from '@tricopy/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { lockPath } from '../locks/job-lock.js';
import { MANIFEST_NAME } from '../manifest/manifest.js';
import { parseManifest } from '../manifest/manifest-read.js';
import { runBackups } from '../schedule/run-backups.js';
import { type Harness, harness } from '../testing/harness.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** What a finished run must leave whatever happened: nothing running, every verified copy intact with a manifest. */
async function expectConsistent(t: Harness): Promise<void> {
  const rows = await t.session.catalog.listBackups({});
  for (const backup of rows) {
    expect(backup.status, `backup ${backup.id}`).not.toBe('running');
    const copies = await t.session.catalog.listCopies(backup.id);
    for (const copy of copies) {
      const stored = t.destinations[copy.destination]?.objects;
      if (copy.status === 'verified') {
        expect(sha(stored?.get(copy.key) as Buffer), `${copy.destination} holds the artifact`).toBe(
          backup.sha256,
        );
        const manifest = stored?.get(`${backup.job}/${backup.id}/${MANIFEST_NAME}`);
        expect(manifest, `${copy.destination} has a manifest`).toBeDefined();
        expect(
          parseManifest(String(manifest), copy.destination, {
            folder: `${backup.job}/${backup.id}/`,
            now: new Date(),
          }).artifact.sha256,
        ).toBe(backup.sha256);
      } else {
        // Nothing under the final name of a copy that is not good.
        expect(stored?.has(copy.key), `${copy.destination}: failed copy removed`).toBe(false);
      }
    }
  }
}

describe('a destination failing mid-upload', () => {
  it.each<FaultError>(['ENOSPC', 'EACCES', 'ECONNRESET'])(
    '%s while written from the dump and again while retried from a completed copy: degraded, not a crash',
    async (error) => {
      h = await harness({
        destinations: {
          local: {},
          nas: {
            capabilities: { storedSha256: true },
            faults: [
              {
                op: 'put',
                key: /\.bin$/,
                times: Infinity,
                fault: { kind: 'fail-after', bytes: 40_000, error },
              },
            ],
          },
        },
        jobs: ['app', 'other'],
      });
      const report = await runBackups(h.session, ['app', 'other']);
      expect(report.runs.map((r) => r.status)).toEqual(['degraded', 'degraded']);
      for (const job of ['app', 'other']) {
        expect(existsSync(lockPath(h.session.config.catalogPath, job)), `lock of ${job} released`).toBe(
          false,
        );
      }
      for (const run of report.runs) {
        expect(run.copies.find((c) => c.destination === 'local')?.status).toBe('verified');
        expect(run.copies.find((c) => c.destination === 'nas')?.error).toMatch(
          /permission denied|no space|reset/,
        );
      }
      await expectConsistent(h);
    },
  );

  it('a retry whose source copy fails mid-read: the copy fails, the run ends degraded', async () => {
    h = await harness({
      destinations: {
        local: {
          faults: [
            { op: 'get', times: Infinity, fault: { kind: 'fail-after', bytes: 30_000, error: 'ECONNRESET' } },
          ],
        },
        nas: {
          faults: [
            { op: 'put', key: /\.bin$/, fault: { kind: 'fail-after', bytes: 10_000, error: 'ECONNRESET' } },
          ],
        },
      },
    });
    const report = await runBackups(h.session, ['app']);
    expect(report.runs[0]?.status).toBe('degraded');
    await expectConsistent(h);
  });

  it('a failed copy is written again from the good one when the error is transient', async () => {
    h = await harness({
      destinations: {
        local: {},
        nas: {
          faults: [
            { op: 'put', key: /\.bin$/, fault: { kind: 'fail-after', bytes: 10_000, error: 'ECONNRESET' } },
          ],
        },
      },
    });
    const report = await runBackups(h.session, ['app']);
    expect(report.runs[0]?.status).toBe('ok');
    expect(report.runs[0]?.copies.find((c) => c.destination === 'nas')?.attempts).toBe(2);
    await expectConsistent(h);
  });

  it.each<FaultError>(['ENOSPC', 'EACCES'])(
    'a permanent error (%s) is not retried and is reported once',
    async (error) => {
      h = await harness({
        destinations: {
          local: {},
          nas: {
            faults: [
              {
                op: 'put',
                key: /\.bin$/,
                times: Infinity,
                fault: { kind: 'fail-after', bytes: 10_000, error },
              },
            ],
          },
        },
      });
      const report = await runBackups(h.session, ['app']);
      const nas = report.runs[0]?.copies.find((c) => c.destination === 'nas');
      expect(nas?.attempts).toBe(1);
      expect(
        h.destinations.nas?.log.filter((l) => l.startsWith('put app/') && l.endsWith('.bin')),
      ).toHaveLength(1);
      expect(h.logs.filter((l) => l.level !== 'debug' && l.message.includes('nas'))).toHaveLength(1);
    },
  );

  it('every destination failing: failed, with a summary, nothing left', async () => {
    const fault = {
      op: 'put' as const,
      times: Infinity,
      fault: { kind: 'fail-after' as const, bytes: 1000, error: 'ENOSPC' as const },
    };
    h = await harness({ destinations: { a: { faults: [fault] }, b: { faults: [fault] } } });
    const report = await runBackups(h.session, ['app']);
    expect(report.runs[0]?.status).toBe('failed');
    expect(report.runs[0]?.error).toMatch(/a: .*no space left.*; b: .*no space left/);
    await expectConsistent(h);
  });
});

describe('bad copies', () => {
  it.each([
    ['corrupt', { kind: 'corrupt' as const }],
    ['truncate', { kind: 'truncate' as const, bytes: 1000 }],
  ])('a %sed copy is rejected, deleted and written again from a good one', async (_name, fault) => {
    h = await harness({
      destinations: { local: {}, nas: { faults: [{ op: 'put', key: /\.bin$/, fault }] } },
    });
    const report = await runBackups(h.session, ['app']);
    expect(report.runs[0]?.status).toBe('ok');
    expect(report.runs[0]?.copies.find((c) => c.destination === 'nas')?.attempts).toBe(2);
    await expectConsistent(h);
  });

  it('a stalled destination is detached and the others complete', async () => {
    h = await harness({
      destinations: {
        local: {},
        nas: { faults: [{ op: 'put', times: Infinity, fault: { kind: 'stall', after: 1000 } }] },
      },
      stallTimeout: '50ms',
      retries: 0,
    });
    const report = await runBackups(h.session, ['app']);
    expect(report.runs[0]?.status).toBe('degraded');
    expect(report.runs[0]?.copies.find((c) => c.destination === 'nas')?.error).toMatch(/stalled/);
    await expectConsistent(h);
  });

  it('a destination that declares a sha256 capability but returns none fails that copy', async () => {
    h = await harness({
      destinations: {
        local: {},
        nas: { faults: [{ op: 'put', key: /\.bin$/, times: Infinity, fault: { kind: 'omit-sha256' } }] },
      },
    });
    const report = await runBackups(h.session, ['app']);
    expect(report.runs[0]?.status).toBe('degraded');
    const nas = report.runs[0]?.copies.find((c) => c.destination === 'nas');
    expect(nas?.error).toMatch(/sha256/);
    expect(nas?.attempts, 'a broken promise is not retried').toBe(1);
    await expectConsistent(h);
  });

  it('a manifest that cannot be written: that copy fails, its artifact is removed, the others keep theirs', async () => {
    h = await harness({
      destinations: {
        local: {},
        nas: {
          faults: [
            {
              op: 'put',
              key: /manifest\.json$/,
              times: Infinity,
              fault: { kind: 'fail-after', bytes: 0, error: 'EACCES' },
            },
          ],
        },
      },
    });
    const report = await runBackups(h.session, ['app']);
    expect(report.runs[0]?.status).toBe('degraded');
    expect(report.runs[0]?.copies.find((c) => c.destination === 'nas')?.error).toMatch(/manifest/);
    await expectConsistent(h);
  });
});
