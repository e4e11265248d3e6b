import { dirname, join } from 'node:path';
import { childEnv, SourceError } from '@tricopy/contract';
import { firstErrorLine, isExecutable } from '@tricopy/plugin-support';
import { execa } from 'execa';
import { resolveTool } from './binaries.js';
import type { ConnectionSettings } from './connection.js';

async function findVerifier(settings: ConnectionSettings): Promise<string | undefined> {
  const { options, configDir, instance } = settings;
  return resolveTool('pg_verifybackup', options, configDir, instance).catch(() => undefined);
}

/**
 * Runs pg_verifybackup on an extracted base backup: every file against backup_manifest, and the WAL in pg_wal
 * parsed when pg_waldump sits beside it (else -n: files only). Resolves with what was checked; throws a SourceError
 * when the copy is damaged. Without pg_verifybackup nothing is checked, and the answer says so.
 */
export async function verifyBackup(settings: ConnectionSettings, dir: string): Promise<string> {
  const verifier = await findVerifier(settings);
  if (verifier === undefined) {
    return 'pg_verifybackup not found (binDir or /usr/lib/postgresql/*/bin): the restored files were not checked against backup_manifest';
  }
  const withWal = isExecutable(join(dirname(verifier), 'pg_waldump'));
  const args = ['--quiet', ...(withWal ? [] : ['--no-parse-wal']), dir];
  const result = await execa(verifier, args, { env: childEnv(), extendEnv: false, reject: false });
  if (result.exitCode !== 0) {
    const line = firstErrorLine(result.stderr) ?? `exit code ${result.exitCode}`;
    throw new SourceError(
      `source "${settings.instance}": the restored base backup does not match its manifest (pg_verifybackup: ${line}); nothing was restored`,
      { details: result.stderr },
    );
  }
  return withWal
    ? 'pg_verifybackup checked every file against backup_manifest and parsed the WAL'
    : 'pg_verifybackup checked every file against backup_manifest (WAL not parsed: no pg_waldump beside it)';
}
