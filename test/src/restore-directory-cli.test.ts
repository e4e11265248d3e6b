// `restore` of a PostgreSQL base-backup job from the command line: `--to DIR` names a new data directory, and the
// point-in-time flags refuse what they cannot do with a one-line error naming the fix.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type PostgresServer, startPostgres } from '@tricopy/test-servers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeWorkspace, tricopy, tricopyJson, type Workspace } from './cli.js';
import { postgresSource } from './server-configs.js';

let pg: PostgresServer;
let ws: Workspace;
const run = () => ({ cwd: ws.dir, env: { PGPASS_TEST: pg.password } });

beforeAll(async () => {
  [pg, ws] = await Promise.all([startPostgres(), makeWorkspace('restore-directory')]);
  await pg.createDatabase('shop');
  await pg.sql('shop', 'CREATE TABLE items (id int); INSERT INTO items SELECT generate_series(1, 100);');
  await ws.writeConfig(`
destinations:
  primary: { type: local, path: ./dest }
jobs:
  base:
    source:
${postgresSource(pg, 'shop', { settings: { binDir: pg.binDir, mode: 'base' } })}
    destinations: [primary]
`);
  const backup = await tricopy(['backup', 'base'], run());
  expect(backup.code, backup.stderr).toBe(0);
}, 120_000);
afterAll(async () => {
  await pg?.stop();
  await ws?.remove();
});

describe('restore of a base-backup job', () => {
  it('--latest --to DIR writes a data directory', async () => {
    const restored = await tricopy(['restore', '--job', 'base', '--latest', '--to', 'data'], run());
    expect(restored.code, restored.stderr).toBe(0);
    expect(restored.stdout).toMatch(/^restored backup \S+ \(base, .*\) from primary into data$/m);
    expect(existsSync(join(ws.dir, 'data', 'PG_VERSION'))).toBe(true);
    expect(existsSync(join(ws.dir, 'data', 'recovery.signal'))).toBe(false);
  });

  it('--time without an offset is one line naming the fix', async () => {
    const result = await tricopy(
      ['restore', '--job', 'base', '--time', '2026-12-06 10:15:00', '--to', 'x'],
      run(),
    );
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toBe(
      'tricopy: --time "2026-12-06 10:15:00" has no UTC offset: add one, e.g. "2026-12-06 10:15:00+00" for UTC',
    );
  });

  it('--time for a job that archives no WAL says what it needs', async () => {
    const result = await tricopy(
      ['restore', '--job', 'base', '--time', '2026-12-06 10:15:00+00', '--to', 'x'],
      run(),
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--time needs WAL: job base archives none');
    expect(existsSync(join(ws.dir, 'x'))).toBe(false);
  });

  it('--time with a backup id, or with --latest, is refused', async () => {
    const both = await tricopy(
      ['restore', '--job', 'base', '--latest', '--time', '2026-12-06 10:15:00+00', '--to', 'x'],
      run(),
    );
    expect(both.stderr).toContain('--time or --latest, not both');
    const withId = await tricopy(['restore', 'abc', '--time', '2026-12-06 10:15:00+00', '--to', 'x'], run());
    expect(withId.stderr).toContain('--time chooses the base backup itself: drop the backup id');
  });

  it('list --json has no recovery window for a job without WAL', async () => {
    const { json } = await tricopyJson<{ recovery: unknown[] }>(['list'], run());
    expect(json.recovery).toEqual([]);
  });
});
