import type { PostgresServer } from '@tricopy/test-servers';

type Setting = string | number | boolean;

export interface PostgresSourceOptions {
  /** The environment variable holding the password (default PGPASS_TEST). */
  readonly passwordVar?: string;
  /** Another role than the server's superuser. */
  readonly user?: string;
  /** More source settings (pgDumpPath, binDir, globals, …), written in this order after the others. */
  readonly settings?: Readonly<Record<string, Setting>>;
}

/**
 * The settings of a PostgreSQL job's `source:` on `server`, as YAML lines indented to sit under
 * `jobs.NAME.source:` (no newline before the first or after the last).
 */
export function postgresSource(
  server: Pick<PostgresServer, 'host' | 'port' | 'user'>,
  database: string,
  options: PostgresSourceOptions = {},
): string {
  const settings: Record<string, Setting> = {
    type: 'postgres',
    host: server.host,
    port: server.port,
    user: options.user ?? server.user,
    password: `\${${options.passwordVar ?? 'PGPASS_TEST'}}`,
    database,
    ...options.settings,
  };
  return Object.entries(settings)
    .map(([key, value]) => `      ${key}: ${value}`)
    .join('\n');
}
