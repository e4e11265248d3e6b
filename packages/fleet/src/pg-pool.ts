import pg from 'pg';

/** The schema of the catalog's tables in its database. */
export const CATALOG_SCHEMA = 'tricopy';
/** The first key of every advisory lock tricopy takes (the second names what is locked). */
export const LOCK_NAMESPACE = 0x7472_6963; // "tric"

const INT8 = 20;

/** BIGINT columns (sizes, ids) as numbers, as the SQLite catalog returns them. */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/**
 * Connection settings for the catalog's database: the catalog schema first on the search path, and TCP keepalives
 * on both ends, so a connection to a machine that vanished is dropped (and its locks freed) within about 30 s.
 */
export function connectionConfig(url: string): pg.ClientConfig {
  return {
    connectionString: url,
    types,
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    options: `-c search_path=${CATALOG_SCHEMA} -c tcp_keepalives_idle=10 -c tcp_keepalives_interval=5 -c tcp_keepalives_count=3`,
    application_name: 'tricopy',
  };
}

export function createPool(url: string, max = 4): pg.Pool {
  const pool = new pg.Pool({ ...connectionConfig(url), max });
  // An idle connection that breaks is dropped by the pool; without a listener the error would end the process.
  pool.on('error', () => undefined);
  return pool;
}

/** `?` placeholders (the catalog's SQL, shared with SQLite) as PostgreSQL's `$1, $2, …`. */
export function numberPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}
