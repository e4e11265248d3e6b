import type { PostgresServer } from '@tricopy/test-servers';

/** The catalog URL of `database` on a test server, as a config would write it. */
export function postgresUrl(s: PostgresServer, database: string): string {
  return `postgres://${s.user}:${encodeURIComponent(s.password)}@${s.host}:${s.port}/${database}`;
}
