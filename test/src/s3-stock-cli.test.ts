// Backups to a store that, like stock s3rver 3.7, answers ListMultipartUploads with 501 NotImplemented: there is
// nothing the store can list to sweep, which is no warning; every warning a backup logs names its job.
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type S3Server, startS3 } from '@tricopy/test-servers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, makeWorkspace, tricopy, type Workspace } from './cli.js';

describe('backup to an S3 store without multipart listing', () => {
  let s3: S3Server;
  let ws: Workspace;
  beforeAll(async () => {
    [s3, ws] = await Promise.all([startS3({ multipartListing: false }), makeWorkspace('s3-stock')]);
    await copyFile(join(FIXTURES, 'chinook/Chinook_Sqlite.sqlite'), join(ws.dir, 'app.db'));
    await ws.writeConfig(`destinations:
  cloud:
    type: s3
    bucket: ${s3.bucket}
    prefix: backups/
    endpoint: ${s3.endpoint}
    forcePathStyle: true
    region: ${s3.region}
    accessKeyId: ${s3.accessKeyId}
    secretAccessKey: "\${S3_SECRET}"
jobs:
  app:
    source: { type: sqlite, path: ./app.db }
    destinations: [cloud]
`);
  }, 60_000);
  afterAll(async () => {
    await Promise.allSettled([s3?.stop(), ws?.remove()]);
  });

  it('logs no 501 warning, and each warning it logs carries the job field', async () => {
    for (let i = 0; i < 2; i++) {
      const result = await tricopy(['--log-format', 'json', 'backup'], {
        cwd: ws.dir,
        env: { S3_SECRET: s3.secretAccessKey },
      });
      expect(result.code, result.stderr).toBe(0);
      const lines = result.stderr
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as { level: number; msg: string; job?: string });
      const warnings = lines.filter((line) => line.level >= 40);
      expect(warnings.map((w) => w.msg)).toEqual([expect.stringContaining('below the 3-2-1 policy')]);
      for (const warning of warnings) expect(warning.job, warning.msg).toBe('app');
      // A whole word: a time, an id or a sha256 may hold the digits 501.
      expect(result.stderr).not.toMatch(/\b501\b|NotImplemented/);
    }
  });
});
