import { access, chown, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startPostgresOnDataDir } from './pg-data-dir.js';
import { asPgServerUser, osUserIds, PG_OS_USER, runningAsRoot } from './pg-os-user.js';
import { startPostgres } from './postgres.js';
import { makeTempDir } from './temp-dir.js';

describe('startPostgresOnDataDir', () => {
  it('starts a server on a copied data directory, runs its recovery settings, and stop() leaves the directory', {
    timeout: 120_000,
  }, async () => {
    const source = await startPostgres();
    const scratch = await makeTempDir('pgdir-test', 0o755);
    try {
      if (runningAsRoot()) {
        const { uid, gid } = await osUserIds(PG_OS_USER);
        await chown(scratch.path, uid, gid);
      }
      await source.sql('postgres', 'CREATE TABLE t (n int); INSERT INTO t SELECT generate_series(1, 42)');
      const copy = join(scratch.path, 'copy');
      await asPgServerUser(join(source.binDir, 'pg_basebackup'), [
        '-h',
        source.socketDir,
        '-p',
        String(source.port),
        '-U',
        'postgres',
        '-D',
        copy,
        '-X',
        'stream',
      ]);
      // A standby that is told to promote at once: the server starts in recovery, then accepts writes.
      await writeFile(join(copy, 'recovery.signal'), '');
      await writeFile(
        join(copy, 'postgresql.auto.conf'),
        "restore_command = 'false'\nrecovery_target = 'immediate'\nrecovery_target_action = 'promote'\n",
        { flag: 'a' },
      );
      const restored = await startPostgresOnDataDir(copy);
      try {
        await restored.waitForPromotion(60_000);
        expect(await restored.sql('postgres', 'SELECT count(*) FROM t')).toBe('42');
        await restored.sql('postgres', 'INSERT INTO t VALUES (43)');
        expect(await restored.readLog()).toContain('archive recovery complete');
      } finally {
        await restored.stop();
      }
      expect(
        await access(join(copy, 'postmaster.pid')).then(
          () => 'running',
          () => 'stopped',
        ),
      ).toBe('stopped');
      expect(
        await access(join(copy, 'PG_VERSION')).then(
          () => 'kept',
          () => 'removed',
        ),
      ).toBe('kept');
    } finally {
      await source.stop();
      await scratch.remove();
    }
  });
});
