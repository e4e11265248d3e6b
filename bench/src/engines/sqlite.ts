import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { sh } from '../measure.js';
import { type Engine, GENERATE_BATCH, type PreparedDatabase, ROW_COUNT_PER_MIB, ZSTD } from './engine.js';

function insertSql(from: number, to: number): string {
  return `WITH RECURSIVE c(x) AS (SELECT ${from} UNION ALL SELECT x + 1 FROM c WHERE x < ${to})
INSERT INTO orders SELECT x, 'customer ' || (abs(random()) % 50000), 'user' || (abs(random()) % 100000) || '@example.com',
  (abs(random()) % 1000000) / 100.0,
  CASE abs(random()) % 4 WHEN 0 THEN 'paid' WHEN 1 THEN 'shipped' WHEN 2 THEN 'pending' ELSE 'refunded' END,
  datetime(1600000000 + x * 30, 'unixepoch'),
  'ref ' || hex(randomblob(6)) || ' delivered to warehouse ' || (abs(random()) % 200)
FROM c;`;
}

export const sqliteEngine: Engine = {
  name: 'sqlite',
  async versions() {
    const { stdout } = await execa('sqlite3', ['--version']);
    return `sqlite3 ${stdout.split(' ')[0]}`;
  },
  async prepare(bytes, scratch) {
    const dir = join(scratch, 'sqlite');
    const restoreDir = join(dir, 'restored');
    await mkdir(restoreDir, { recursive: true });
    const db = join(dir, 'orders.db');
    const rows = Math.max(1000, Math.round((bytes / 2 ** 20) * ROW_COUNT_PER_MIB.sqlite));
    const statements = [
      'PRAGMA journal_mode = WAL;',
      'CREATE TABLE orders(id INTEGER PRIMARY KEY, customer TEXT, email TEXT, amount REAL, status TEXT, created_at TEXT, note TEXT);',
    ];
    for (let from = 1; from <= rows; from += GENERATE_BATCH) {
      statements.push(insertSql(from, Math.min(rows, from + GENERATE_BATCH - 1)));
    }
    await execa('sqlite3', [db], { input: statements.join('\n') });
    await execa('sqlite3', [db, 'PRAGMA wal_checkpoint(TRUNCATE);']);
    const prepared: PreparedDatabase = {
      description: `orders: ${rows.toLocaleString('en-US')} rows (WAL mode)`,
      env: {},
      // .backup cannot write to /dev/null (it opens the target as a database): it writes a file that is removed.
      dumpToNull: `sqlite3 ${sh(db)} ".backup ${join(dir, 'floor.db')}"; rm -f ${sh(join(dir, 'floor.db'))}`,
      dumpToStdout: `sqlite3 ${sh(db)} ".backup ${join(dir, 'stdout.db')}" && cat ${sh(join(dir, 'stdout.db'))} && rm -f ${sh(join(dir, 'stdout.db'))}`,
      dumpToFile: (path) => `sqlite3 ${sh(db)} ".backup ${path}"`,
      dumpCompressed: (path, level) =>
        `sqlite3 ${sh(db)} ".backup ${path}.tmp"; gzip -${level} < ${sh(`${path}.tmp`)} > ${sh(path)}; rm -f ${sh(`${path}.tmp`)}`,
      dumpZstd: (path) => {
        const tmp = join(dir, 'zstd-stage.db');
        return `sqlite3 ${sh(db)} ".backup ${tmp}"; ${ZSTD} < ${sh(tmp)} > ${sh(path)}; rm -f ${sh(tmp)}`;
      },
      sourceYaml: `{ type: sqlite, path: ${JSON.stringify(db)} }`,
      restoreFloor: (rawPath, n) => `cp ${sh(rawPath)} ${sh(join(restoreDir, `floor-${n}.db`))}`,
      restoreArgs: (n) => ['--to', join(restoreDir, `tricopy-${n}.db`)],
      async dropRestoreTargets() {
        await rm(restoreDir, { recursive: true, force: true });
        await mkdir(restoreDir, { recursive: true });
      },
      close: () => rm(dir, { recursive: true, force: true }),
    };
    return prepared;
  },
};
