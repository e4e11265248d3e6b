import { type MariadbServer, startMariadb } from '@tricopy/test-servers';
import { execa } from 'execa';
import { sh } from '../measure.js';
import { type Engine, GENERATE_BATCH, type PreparedDatabase, ROW_COUNT_PER_MIB, ZSTD } from './engine.js';

const DATABASE = 'orders';

function insertSql(from: number, to: number): string {
  return `INSERT INTO orders SELECT seq, CONCAT('customer ', FLOOR(RAND() * 50000)), CONCAT('user', FLOOR(RAND() * 100000), '@example.com'),
  ROUND(RAND() * 10000, 2), ELT(1 + FLOOR(RAND() * 4), 'paid', 'shipped', 'pending', 'refunded'),
  TIMESTAMPADD(SECOND, seq * 30, '2020-09-13 00:00:00'),
  CONCAT('ref ', LEFT(MD5(RAND()), 12), ' delivered to warehouse ', FLOOR(RAND() * 200))
FROM seq_${from}_to_${to};`;
}

export const mariadbEngine: Engine = {
  name: 'mariadb',
  async versions() {
    const { stdout } = await execa('mariadb-dump', ['--version']).catch(() => ({
      stdout: 'mariadb-dump (not found)',
    }));
    return stdout.trim();
  },
  async prepare(bytes) {
    const server: MariadbServer = await startMariadb();
    try {
      await server.sql(`CREATE DATABASE ${DATABASE};`);
      await server.sql(
        'CREATE TABLE orders(id BIGINT PRIMARY KEY, customer VARCHAR(40), email VARCHAR(60), amount DECIMAL(12,2), status VARCHAR(10), created_at DATETIME, note VARCHAR(80)) ENGINE=InnoDB;',
        DATABASE,
      );
      const rows = Math.max(1000, Math.round((bytes / 2 ** 20) * ROW_COUNT_PER_MIB.mariadb));
      for (let from = 1; from <= rows; from += GENERATE_BATCH) {
        await server.sql(insertSql(from, Math.min(rows, from + GENERATE_BATCH - 1)), DATABASE);
      }
      const conn = `--host=${server.host} --port=${server.port} --user=${server.user}`;
      // What tutorials use, and what a consistent InnoDB dump needs.
      const dumpArgs = `${conn} --single-transaction --quick --routines --events --triggers --databases ${DATABASE}`;
      const restored: string[] = [];
      const prepared: PreparedDatabase = {
        description: `orders: ${rows.toLocaleString('en-US')} rows, InnoDB`,
        env: { MYSQL_PWD: server.password },
        serverPort: server.port,
        dumpToNull: `mariadb-dump ${dumpArgs} > /dev/null`,
        dumpToStdout: `mariadb-dump ${dumpArgs}`,
        // Without --databases: the floor restore loads it into a database of another name.
        dumpToFile: (path) => `mariadb-dump ${conn} --single-transaction --quick ${DATABASE} > ${sh(path)}`,
        dumpCompressed: (path, level) => `mariadb-dump ${dumpArgs} | gzip -${level} > ${sh(path)}`,
        dumpZstd: (path) => `mariadb-dump ${dumpArgs} | ${ZSTD} > ${sh(path)}`,
        sourceYaml: `{ type: mysql, host: ${server.host}, port: ${server.port}, user: ${server.user}, password: "\${MYSQL_PWD}", database: ${DATABASE} }`,
        restoreFloor: (rawPath, n) => {
          restored.push(`floor_${n}`);
          return `mariadb ${conn} -e 'CREATE DATABASE floor_${n}' && mariadb ${conn} floor_${n} < ${sh(rawPath)}`;
        },
        restoreArgs: (n) => {
          restored.push(`tricopy_${n}`);
          return ['--to-database', `tricopy_${n}`, '--create-database'];
        },
        async dropRestoreTargets() {
          for (const name of restored.splice(0)) await server.sql(`DROP DATABASE IF EXISTS ${name};`);
        },
        close: () => server.stop(),
      };
      return prepared;
    } catch (error) {
      await server.stop();
      throw error;
    }
  },
};
