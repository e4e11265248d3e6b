import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { childEnv, createFileExclusive } from '@tricopy/contract';
import { type ConnectionSettings, tlsCaPath } from './connection.js';

function quoteValue(value: string): string {
  const escaped = value
    .replaceAll('\\', '\\\\')
    .replaceAll('"', '\\"')
    .replaceAll('\n', '\\n')
    .replaceAll('\r', '\\r')
    .replaceAll('\t', '\\t');
  return `"${escaped}"`;
}

export interface ClientInvocation {
  /** Must come first on the command line: the options file (and with it the password). */
  readonly args: readonly string[];
  readonly env: Record<string, string>;
  dispose(): Promise<void>;
}

/**
 * Connection settings and the password travel in a 0600 options file in the work folder, never in argv.
 * `--defaults-file` replaces every other option file (the user's my.cnf cannot change what is dumped);
 * with useDefaultsFile the file is read after the usual ones instead (`--defaults-extra-file`).
 * MYSQL_* variables of the parent are not passed on.
 */
/** TLS settings in the dialect of the tool: MariaDB's `ssl` / `ssl-verify-server-cert`, MySQL's `ssl-mode`. */
function tlsLines(settings: ConnectionSettings, mariadbTool: boolean): string[] {
  const { tls } = settings.options;
  const ca = tlsCaPath(settings);
  const caLine = ca === undefined ? [] : [`ssl-ca=${quoteValue(ca)}`];
  if (mariadbTool) {
    if (tls === 'off') return ['skip-ssl'];
    // MariaDB clients then use TLS when the server offers it (10.11.8+ by default), without verification.
    if (tls === 'prefer') return caLine;
    if (tls === 'require') return ['ssl', 'skip-ssl-verify-server-cert', ...caLine];
    return ['ssl', 'ssl-verify-server-cert', ...caLine];
  }
  const mode = {
    off: 'DISABLED',
    prefer: 'PREFERRED',
    require: 'REQUIRED',
    'verify-ca': 'VERIFY_CA',
    'verify-full': 'VERIFY_IDENTITY',
  }[tls];
  return [`ssl-mode=${mode}`, ...caLine];
}

export async function clientInvocation(
  settings: ConnectionSettings,
  workDir: string,
  mariadbTool: boolean,
): Promise<ClientInvocation> {
  const { options } = settings;
  const lines = ['[client]', `user=${quoteValue(options.user)}`];
  if (options.socket !== undefined) {
    lines.push('host=localhost', `socket=${quoteValue(options.socket)}`, 'protocol=SOCKET');
  } else {
    lines.push(`host=${quoteValue(options.host)}`, `port=${options.port}`, 'protocol=TCP');
  }
  if (settings.password !== undefined) lines.push(`password=${quoteValue(settings.password)}`);
  // [client] is read by every client tool; options only some tools know go to their own groups.
  lines.push('default-character-set=utf8mb4', ...tlsLines(settings, mariadbTool));
  lines.push('[mysql]', `connect-timeout=${options.connectTimeoutSeconds}`);
  const file = join(workDir, `.my-${randomBytes(8).toString('hex')}.cnf`);
  await createFileExclusive(file, `${lines.join('\n')}\n`);
  return {
    args: [options.useDefaultsFile ? `--defaults-extra-file=${file}` : `--defaults-file=${file}`],
    env: childEnv(),
    dispose: () => rm(file, { force: true }),
  };
}
