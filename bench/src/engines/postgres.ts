import { join } from 'node:path';
import { type PostgresServer, startPostgres } from '@tricopy/test-servers';
import { execa } from 'execa';
import { sh } from '../measure.js';
import { type Engine, GENERATE_BATCH, type PreparedDatabase, ROW_COUNT_PER_MIB, ZSTD } from './engine.js';

const DATABASE = 'orders';

function insertSql(from: number, to: number): string {
  return `INSERT INTO orders SELECT g, 'customer ' || (random() * 50000)::int, 'user' || (random() * 100000)::int || '@example.com',
  round((random() * 10000)::numeric, 2), (ARRAY['paid', 'shipped', 'pending', 'refunded'])[1 + (random() * 3)::int],
  timestamptz '2020-09-13 00:00:00+00' + g * interval '30 seconds',
  'ref ' || substr(md5(random()::text), 1, 12) || ' delivered to warehouse ' || (random() * 200)::int
FROM generate_series(${from}, ${to}) g;`;
}

export const postgresEngine: Engine = {
  name: 'postgres',
  async versions() {
    const { stdout } = await execa('/usr/lib/postgresql/15/bin/pg_dump', ['--version']).catch(() => ({
      stdout: 'pg_dump (not found)',
    }));
    return stdout.trim();
  },
  async prepare(bytes) {
    const server: PostgresServer = await startPostgres();
    try {
      await server.createDatabase(DATABASE);
      await server.sql(
        DATABASE,
        'CREATE TABLE orders(id bigint PRIMARY KEY, customer text, email text, amount numeric(12,2), status text, created_at timestamptz, note text);',
      );
      const rows = Math.max(1000, Math.round((bytes / 2 ** 20) * ROW_COUNT_PER_MIB.postgres));
      for (let from = 1; from <= rows; from += GENERATE_BATCH) {
        await server.sql(DATABASE, insertSql(from, Math.min(rows, from + GENERATE_BATCH - 1)));
      }
      await server.sql(DATABASE, 'VACUUM ANALYZE orders;');
      const bin = (tool: string) => sh(join(server.binDir, tool));
      const conn = `-h ${server.host} -p ${server.port} -U ${server.user} --no-password`;
      const restored: string[] = [];
      const prepared: PreparedDatabase = {
        description: `orders: ${rows.toLocaleString('en-US')} rows, primary key`,
        env: { PGPASSWORD: server.password, PGCONNECT_TIMEOUT: '15' },
        serverPort: server.port,
        dumpToNull: `${bin('pg_dump')} ${conn} --format=custom --compress=0 ${DATABASE} > /dev/null`,
        dumpToStdout: `${bin('pg_dump')} ${conn} --format=custom --compress=0 ${DATABASE}`,
        dumpToFile: (path) =>
          `${bin('pg_dump')} ${conn} --format=custom --compress=0 ${DATABASE} > ${sh(path)}`,
        // pg_dump -Fc compresses with its own gzip (level 6 by default): what tutorials run.
        dumpCompressed: (path) => `${bin('pg_dump')} ${conn} --format=custom ${DATABASE} > ${sh(path)}`,
        dumpZstd: (path) =>
          `${bin('pg_dump')} ${conn} --format=custom --compress=0 ${DATABASE} | ${ZSTD} > ${sh(path)}`,
        sourceYaml: `{ type: postgres, host: ${server.host}, port: ${server.port}, user: ${server.user}, password: "\${PGPASSWORD}", database: ${DATABASE}, sslmode: disable }`,
        restoreFloor: (rawPath, n) => {
          restored.push(`floor_${n}`);
          return `${bin('createdb')} ${conn} floor_${n} && ${bin('pg_restore')} ${conn} --exit-on-error --single-transaction -d floor_${n} ${sh(rawPath)}`;
        },
        restoreArgs: (n) => {
          restored.push(`tricopy_${n}`);
          return ['--to-database', `tricopy_${n}`, '--create-database'];
        },
        async dropRestoreTargets() {
          for (const name of restored.splice(0)) {
            await server.sql('postgres', `DROP DATABASE IF EXISTS ${name};`);
          }
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
