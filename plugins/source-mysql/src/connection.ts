import { readFileSync } from 'node:fs';
import { resolveConfigPath, SourceError } from '@tricopy/contract';
import type { ToolSettings } from '@tricopy/plugin-support';
import mysql from 'mysql2/promise';
import type { MysqlOptions } from './options.js';

export type ConnectionSettings = ToolSettings<MysqlOptions>;

export function quoteIdent(name: string): string {
  return `\`${name.replaceAll('`', '``')}\``;
}

export function where(options: MysqlOptions): string {
  return options.socket ?? `${options.host}:${options.port}`;
}

export function tlsCaPath(settings: ConnectionSettings): string | undefined {
  const file = settings.options.tlsCa;
  if (file === undefined) return undefined;
  return resolveConfigPath(settings.configDir, file);
}

function sslConfig(settings: ConnectionSettings): mysql.SslOptions | undefined {
  const { tls } = settings.options;
  if (tls === 'off' || tls === 'prefer') return undefined;
  if (tls === 'require') return { rejectUnauthorized: false };
  const ca = tlsCaPath(settings);
  return {
    rejectUnauthorized: true,
    ...(ca === undefined ? {} : { ca: readFileSync(ca, 'utf8') }),
    ...(tls === 'verify-ca' ? { checkServerIdentity: () => undefined } : {}),
  };
}

export async function connect(settings: ConnectionSettings, database?: string): Promise<mysql.Connection> {
  const { options } = settings;
  try {
    const connection = await mysql.createConnection({
      ...(options.socket === undefined
        ? { host: options.host, port: options.port }
        : { socketPath: options.socket }),
      user: options.user,
      ...(settings.password === undefined ? {} : { password: settings.password }),
      ...(database === undefined ? {} : { database }),
      connectTimeout: options.connectTimeoutSeconds * 1000,
      ...(options.tls === 'off' || options.tls === 'prefer' ? {} : { ssl: sslConfig(settings) }),
      charset: 'utf8mb4',
      multipleStatements: false,
      supportBigNumbers: true,
      bigNumberStrings: true,
    });
    connection.on('error', () => {});
    return connection;
  } catch (error) {
    throw connectionError(settings, database, error);
  }
}

export function connectionError(
  settings: ConnectionSettings,
  database: string | undefined,
  error: unknown,
): SourceError {
  const { options, instance } = settings;
  const at = where(options);
  const code = (error as { code?: string }).code;
  const raw = settings.redact(error instanceof Error ? error.message : String(error));
  const say = (text: string) =>
    new SourceError(`source "${instance}": ${text}`, { cause: error, details: raw });
  switch (code) {
    case 'ECONNREFUSED':
      return say(
        `cannot connect to MySQL/MariaDB at ${at}: connection refused (is the server running? check host and port)`,
      );
    case 'ENOENT':
      return say(`no MySQL/MariaDB socket at ${at} (is the server running? check socket)`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return say(`cannot resolve MySQL/MariaDB host "${options.host}" (check host)`);
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return say(`cannot reach MySQL/MariaDB at ${at} (${code}; check host, port and firewall)`);
    case 'ER_ACCESS_DENIED_ERROR':
    case 'ER_ACCESS_DENIED_NO_PASSWORD_ERROR':
      return say(
        `MySQL/MariaDB at ${at} denied access to user "${options.user}" (check user, password / passwordFile)`,
      );
    case 'ER_BAD_DB_ERROR':
      return say(`database "${database}" does not exist on ${at} (check the database option)`);
    case 'ER_DBACCESS_DENIED_ERROR':
      return say(`user "${options.user}" may not access database "${database}" on ${at} (grant it access)`);
  }
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME/.test(code ?? '') || /certificate/i.test(raw)) {
    return say(
      `the TLS certificate of MySQL/MariaDB at ${at} is not trusted: ${raw} (check tlsCa, or the host name for verify-full)`,
    );
  }
  if (code === 'HANDSHAKE_NO_SSL_SUPPORT') {
    return say(`MySQL/MariaDB at ${at} does not offer TLS (set tls: off, or enable TLS on the server)`);
  }
  return say(`cannot connect to MySQL/MariaDB at ${at} as "${options.user}": ${raw}`);
}
