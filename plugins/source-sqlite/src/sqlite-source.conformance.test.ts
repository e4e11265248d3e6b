import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sourceSuite, testContext } from '@tricopy/testkit';
import plugin, { sqliteOptionsSchema } from './index.js';
import { copyChinook, createOddDatabase, readContent } from './test-support/fixtures.js';

const fixtures: Record<string, { prepare: (dir: string) => Promise<string>; sql: string; value: string }> = {
  chinook: { prepare: copyChinook, sql: 'SELECT count(*) FROM Artist', value: '275' },
  'odd schema, WAL': {
    prepare: async (dir) => {
      const path = join(dir, 'odd.sqlite');
      createOddDatabase(path);
      return path;
    },
    sql: 'SELECT count(*) FROM empty',
    value: '0',
  },
};

for (const [label, { prepare, sql, value }] of Object.entries(fixtures)) {
  sourceSuite(`sqlite (${label})`, {
    create: async () => {
      const dir = await mkdtemp(join(tmpdir(), 'tricopy-sqlite-test-'));
      const path = await prepare(dir);
      const source = await plugin.create(
        sqliteOptionsSchema.parse({ path }),
        testContext({ name: 'app', configDir: dir, workDir: join(dir, 'work') }),
      );
      let restored = 0;
      // restore refuses a missing folder (never creates a tree), so the targets' folder exists.
      await mkdir(join(dir, 'restored'));
      return {
        source,
        newRestoreTarget: async () => ({ path: join(dir, 'restored', `r${restored++}.sqlite`) }),
        content: async (target) => readContent(target?.path ?? path),
        query: { sql, value, write: 'CREATE TABLE probe (x int)' },
        ownTarget: { path },
        breakSource: async () => {
          await rm(path);
        },
        cleanup: () => rm(dir, { recursive: true, force: true }),
      };
    },
  });
}
