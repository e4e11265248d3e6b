import { readFileSync } from 'node:fs';
import { resolveConfigPath, SourceError } from '@tricopy/contract';
import type { ToolSettings } from '@tricopy/plugin-support';
import pg from 'pg';
import type { PostgresOptions } from './options.js';

export type ConnectionSettings = ToolSettings<PostgresOptions>;

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function sslConfig(settings: ConnectionSettings): pg.ClientConfig['ssl'] {
  const { sslmode, sslrootcert } = settings.options;
  if (sslmode === 'disable' || sslmode === 'allow' || sslmode === 'prefer') return false;
  if (sslmode === 'require') return { rejectUnauthorized: false };
  const file = sslrootcert === undefined ? undefined : resolvePath(settings.configDir, sslrootcert);
  return {
    rejectUnauthorized: true,
    ...(file === undefined ? {} : { ca: readFileSync(file, 'utf8') }),
    ...(sslmode === 'verify-ca' ? { checkServerIdentity: () => undefined } : {}),
  };
}

export function resolvePath(configDir: string, path: string): string {
  return resolveConfigPath(configDir, path);
}

/**
 * Opens a `pg` session, turning connection failures into one-line SourceErrors that say what to fix. With
 * `replication`, a physical replication session (walsender: IDENTIFY_SYSTEM and SHOW only).
 */
export async function connect(
  settings: ConnectionSettings,
  database: string,
  { replication = false }: { replication?: boolean } = {},
): Promise<pg.Client> {
  const { options } = settings;
  const config: pg.ClientConfig & { replication?: string } = {
    host: options.host,
    port: options.port,
    user: options.user,
    database,
    ...(settings.password === undefined ? {} : { password: settings.password }),
    ssl: sslConfig(settings),
    connectionTimeoutMillis: options.connectTimeoutSeconds * 1000,
    application_name: 'tricopy',
    client_encoding: 'UTF8',
    // Explicit, so PGOPTIONS of the parent cannot apply; the counting session idles in its transaction while
    // pg_dump runs, as pg_dump's own session does.
    options: '-c statement_timeout=0 -c lock_timeout=0 -c idle_in_transaction_session_timeout=0',
    ...(replication ? { replication: 'true' } : {}),
  };
  const client = new pg.Client(config);
  // An idle session that loses its server emits 'error'; the next query reports it.
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => {});
    throw connectionError(settings, database, error);
  }
  return client;
}

export function connectionError(settings: ConnectionSettings, database: string, error: unknown): SourceError {
  const { options, instance } = settings;
  const where = `${options.host}:${options.port}`;
  const code = (error as { code?: string }).code;
  const raw = settings.redact(error instanceof Error ? error.message : String(error));
  const say = (text: string) =>
    new SourceError(`source "${instance}": ${text}`, { cause: error, details: raw });
  switch (code) {
    case 'ECONNREFUSED':
      return say(
        `cannot connect to PostgreSQL at ${where}: connection refused (is the server running? check host and port)`,
      );
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return say(`cannot resolve PostgreSQL host "${options.host}" (check host)`);
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return say(`cannot reach PostgreSQL at ${where} (${code}; check host, port and firewall)`);
    case '28P01':
      return say(
        `PostgreSQL at ${where} rejected the password of user "${options.user}" (check password / passwordFile)`,
      );
    case '28000':
      return say(
        `PostgreSQL at ${where} refused user "${options.user}": ${raw} (check user and pg_hba.conf)`,
      );
    case '3D000':
      return say(`database "${database}" does not exist on ${where} (check the database option)`);
    case '53300':
      return say(`PostgreSQL at ${where} has no free connection slots (too many clients)`);
  }
  if (code !== undefined && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME/.test(code)) {
    return say(
      `the TLS certificate of PostgreSQL at ${where} is not trusted: ${raw} (check sslrootcert, or the host name for verify-full)`,
    );
  }
  if (/timeout/i.test(raw)) {
    return say(`timed out connecting to PostgreSQL at ${where} (check host, port and connectTimeoutSeconds)`);
  }
  if (/does not support SSL/i.test(raw)) {
    return say(`PostgreSQL at ${where} does not accept TLS (set sslmode to prefer or disable)`);
  }
  if (/password/i.test(raw) && settings.password === undefined) {
    return say(
      `PostgreSQL at ${where} asks for a password for user "${options.user}" (set password or passwordFile)`,
    );
  }
  return say(`cannot connect to PostgreSQL at ${where} as "${options.user}": ${raw}`);
}
