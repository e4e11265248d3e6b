// Every artifact proven before it counts, through the real CLI and the real SQLite source: small encrypted SQLite
// databases with the default compression (once stored empty or truncated, and reported OK) restore as they were with
// both zstd implementations, and a `zstd` program that writes part of its output and exits 0 fails the backup.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BackupJson, filesUnder, makeWorkspace, tricopy, tricopyJson, type Workspace } from './cli.js';

let ws: Workspace;
let identityFile: string;

/** A SQLite database of about `kib` KiB (random rows: compression cannot hide a loss). */
function sqliteOf(path: string, kib: number): void {
  const db = new Database(path);
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB NOT NULL)');
  const rows = Math.max(0, Math.floor((kib - 8) / 1.1));
  db.prepare(
    `WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < ?) INSERT INTO t (body) SELECT randomblob(1000) FROM s`,
  ).run(rows);
  db.close();
}

function contentOf(path: string): string {
  const db = new Database(path, { readonly: true });
  const hash = createHash('sha256');
  for (const row of db.prepare('SELECT id, body FROM t ORDER BY id').iterate()) {
    const { id, body } = row as { id: number; body: Buffer };
    hash.update(`${id}:`).update(body);
  }
  db.close();
  return hash.digest('hex');
}

const SIZES = [8, 32, 139, 1300];

beforeAll(async () => {
  ws = await makeWorkspace('proof');
  identityFile = join(ws.dir, 'key.txt');
  execFileSync('age-keygen', ['-o', identityFile], { stdio: 'ignore' });
  const recipient = execFileSync('age-keygen', ['-y', identityFile], { encoding: 'utf8' }).trim();
  for (const kib of SIZES) sqliteOf(join(ws.dir, `db${kib}.sqlite`), kib);
  await mkdir(join(ws.dir, 'dest'));
  // A `zstd` that compresses with the real one but passes on only its first 100 bytes, then exits 0.
  const shims = join(ws.dir, 'bin');
  await mkdir(shims);
  const realZstd = execFileSync('sh', ['-c', 'command -v zstd'], { encoding: 'utf8' }).trim();
  await writeFile(
    join(shims, 'zstd'),
    `#!/bin/sh\n"${realZstd}" "$@" | { head -c 100; cat >/dev/null; }\nexit 0\n`,
  );
  await chmod(join(shims, 'zstd'), 0o755);
  const jobs = SIZES.flatMap((kib) => [
    `  db${kib}: { source: { type: sqlite, path: ./db${kib}.sqlite }, destinations: [disk], encryption: { recipients: [${recipient}] } }`,
    `  plain${kib}: { source: { type: sqlite, path: ./db${kib}.sqlite }, destinations: [disk] }`,
  ]);
  await ws.writeConfig(
    [
      'destinations:',
      '  disk: { type: local, path: ./dest/disk }',
      'jobs:',
      ...jobs,
      'policy: { enforce: warn }',
    ].join('\n'),
  );
});

afterAll(async () => {
  await ws?.remove();
});

type Run = BackupJson['runs'][number];

async function backup(job: string, env: Record<string, string>): Promise<{ code: number; run: Run }> {
  const result = await tricopyJson<BackupJson>(['backup', job], { cwd: ws.dir, env });
  return { code: result.code, run: result.json.runs[0] as Run };
}

describe('encrypted SQLite with the default compression', () => {
  it.each(['node', 'program'].flatMap((zstd) => SIZES.map((kib) => [zstd, kib] as const)))(
    'zstd from the %s, %i KiB: backed up, and restored as it was',
    async (zstd, kib) => {
      const env: Record<string, string> = { TRICOPY_ZSTD: zstd };
      const { code, run } = await backup(`db${kib}`, env);
      expect(run.error).toBeUndefined();
      expect(code).toBe(0);
      const target = join(ws.dir, `restored-${zstd}-${kib}.sqlite`);
      const restored = await tricopy(['restore', run.backupId, '--to', target, '--identity', identityFile], {
        cwd: ws.dir,
        env,
      });
      expect(restored.code, restored.stderr).toBe(0);
      expect(contentOf(target)).toBe(contentOf(join(ws.dir, `db${kib}.sqlite`)));
    },
  );
});

describe('a zstd program that writes part of its output and exits 0', () => {
  it.each(['db', 'plain'])('%s: the backup fails, naming the zstd stage, and keeps no copy', async (job) => {
    const env = { TRICOPY_ZSTD: 'binary', PATH: `${join(ws.dir, 'bin')}:${process.env.PATH ?? ''}` };
    const { code, run } = await backup(`${job}139`, env);
    expect(code).not.toBe(0);
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/^the backup is not proven: the zstd stage's output does not decompress: /);
    expect(await filesUnder(join(ws.dir, 'dest/disk', `${job}139`, run.backupId))).toEqual([]);
  });
});
