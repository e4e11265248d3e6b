import { readdir } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { SourceError } from '@tricopy/contract';
import { findOnPath, isExecutable, versionOutput } from '@tricopy/plugin-support';
import type { PostgresOptions } from './options.js';

export type PgTool =
  | 'pg_dump'
  | 'pg_restore'
  | 'psql'
  | 'pg_dumpall'
  | 'pg_basebackup'
  | 'pg_receivewal'
  | 'pg_verifybackup'
  | 'pg_ctl';

/** The tools with an option of their own; the others are found through binDir only. */
const OPTION_OF: Partial<Record<PgTool, 'pgDumpPath' | 'pgRestorePath' | 'psqlPath' | 'pgDumpallPath'>> = {
  pg_dump: 'pgDumpPath',
  pg_restore: 'pgRestorePath',
  psql: 'psqlPath',
  pg_dumpall: 'pgDumpallPath',
};

/** pg_ctl runs the server: it comes with the server package, not the client tools. */
const SERVER_TOOLS: readonly PgTool[] = ['pg_ctl'];

async function newestDebianBinDir(): Promise<string | undefined> {
  const root = '/usr/lib/postgresql';
  const versions = await readdir(root).catch(() => [] as string[]);
  const sorted = versions.filter((v) => /^\d+(\.\d+)?$/.test(v)).sort((a, b) => Number(b) - Number(a));
  for (const version of sorted) {
    if (isExecutable(join(root, version, 'bin', 'pg_dump'))) return join(root, version, 'bin');
  }
  return undefined;
}

/** Finds a PostgreSQL client tool: explicit path option, then binDir, then the newest Debian install, then PATH. */
export async function resolveTool(
  tool: PgTool,
  options: PostgresOptions,
  configDir: string,
  instance: string,
): Promise<string> {
  const option = OPTION_OF[tool];
  const explicit = option === undefined ? undefined : options[option];
  const fromConfig = (path: string) => (isAbsolute(path) ? path : join(configDir, path));
  let candidates: string[];
  let where: string;
  if (explicit !== undefined) {
    candidates = [fromConfig(explicit)];
    where = `at ${candidates[0]} (${option})`;
  } else if (options.binDir !== undefined) {
    candidates = [join(fromConfig(options.binDir), tool)];
    where = `at ${candidates[0]} (binDir)`;
  } else {
    const debian = await newestDebianBinDir();
    const onPath = findOnPath(tool);
    candidates = [
      ...(debian === undefined ? [] : [join(debian, tool)]),
      ...(onPath === undefined ? [] : [onPath]),
    ];
    where = 'in /usr/lib/postgresql/*/bin or PATH';
  }
  for (const candidate of candidates) {
    if (isExecutable(candidate)) return candidate;
  }
  const install = SERVER_TOOLS.includes(tool)
    ? 'install the PostgreSQL server of the same major version (e.g. apt-get install postgresql)'
    : 'install the PostgreSQL client tools (e.g. apt-get install postgresql-client)';
  throw new SourceError(
    `source "${instance}": ${tool} not found ${where}: ${install} or set ${option === undefined ? '' : `${option} / `}binDir`,
  );
}

export interface ToolVersion {
  /** As printed, e.g. `15.18`. */
  readonly text: string;
  /** Comparable major: 15 → 1500, 9.6 → 906. */
  readonly family: number;
}

/** Parses `pg_dump (PostgreSQL) 15.18 (Debian …)` or `16beta1`. */
export function parseToolVersion(output: string): ToolVersion | undefined {
  const match = /\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?(?:\.(\d+))?([a-z]+\d*)?/.exec(output);
  if (match === null) return undefined;
  const major = Number(match[1]);
  const minor = match[2] === undefined ? 0 : Number(match[2]);
  const text = match[0].replace(/^\(PostgreSQL\)\s+/, '');
  return { text, family: major >= 10 ? major * 100 : major * 100 + minor };
}

/** server_version_num (150018) → family 1500; 90624 → 906. */
export function serverFamily(versionNum: number): number {
  const major = Math.floor(versionNum / 10_000);
  return major >= 10 ? major * 100 : major * 100 + (Math.floor(versionNum / 100) % 100);
}

export function familyName(family: number): string {
  return family >= 1000 ? String(family / 100) : `${Math.floor(family / 100)}.${family % 100}`;
}

export async function toolVersion(
  file: string,
  env: Record<string, string>,
  instance: string,
): Promise<ToolVersion> {
  const result = await versionOutput(file, ['--version'], env);
  const version = parseToolVersion(result.stdout);
  if (result.exitCode !== 0 || version === undefined) {
    throw new SourceError(
      `source "${instance}": ${file} --version did not report a PostgreSQL version (is it a PostgreSQL client tool?)`,
      { details: `${result.stdout}\n${result.stderr}`.trim() },
    );
  }
  return version;
}
