import { describe, expect, it } from 'vitest';
import { MANIFEST_NAME, type Manifest } from '../manifest/manifest.js';
import { runBackups } from '../schedule/run-backups.js';
import { type Harness, harness } from '../testing/harness.js';
import { Redactor } from '../util/redactor.js';

describe('redaction never rewrites stored data', () => {
  let h: Harness | undefined;

  it('a password equal to the job name leaves the manifest, its key and the catalog as they are', async () => {
    h = await harness({ destinations: { local: {} }, jobs: ['chinook'], secrets: ['chinook'] });
    try {
      const report = await runBackups(h.session, ['chinook']);
      const id = report.runs[0]?.backupId as string;
      expect(report.runs[0]?.status).toBe('ok');
      const stored = h.destinations.local?.objects;
      const manifestText = stored?.get(`chinook/${id}/${MANIFEST_NAME}`);
      expect(manifestText, 'the manifest sits beside the artifact').toBeDefined();
      expect([...(stored?.keys() ?? [])].some((k) => k.includes('***'))).toBe(false);
      const manifest = JSON.parse(String(manifestText)) as Manifest;
      expect(manifest.job).toBe('chinook');
      expect(manifest.artifact.key).toBe(`chinook/${id}/chinook.bin`);
      expect((await h.session.catalog.getBackup(id))?.manifest?.job).toBe('chinook');
    } finally {
      await h.close();
    }
  });

  it('a secret containing a quote or a backslash is redacted in structured values', () => {
    const redactor = new Redactor();
    redactor.add('pa"ss\\word');
    const out = redactor.redactValues({ error: 'login with pa"ss\\word failed', list: ['x pa"ss\\word'] });
    expect(JSON.stringify(out)).not.toContain('ss');
    expect(out.error).toBe('login with *** failed');
  });
});
