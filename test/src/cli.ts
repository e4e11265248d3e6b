import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';

export const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const CLI = join(REPO_ROOT, 'packages/cli/dist/bin.js');
export const FIXTURES = resolve(REPO_ROOT, '../shared/fixtures');

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the real `tricopy` CLI as a user would, with a clean environment plus `env`. */
export async function tricopy(
  args: readonly string[],
  options: { cwd: string; env?: Record<string, string> },
): Promise<CliResult> {
  const result = await execa(process.execPath, [CLI, ...args], {
    cwd: options.cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...options.env },
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
  });
  return { code: result.exitCode ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** Starts the CLI without waiting, for tests that kill it or inspect it while it runs. */
export function startTricopy(
  args: readonly string[],
  options: { cwd: string; env?: Record<string, string> },
): ResultPromise {
  return execa(process.execPath, [CLI, ...args], {
    cwd: options.cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...options.env },
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
  });
}

export async function tricopyJson<T = Record<string, unknown>>(
  args: readonly string[],
  options: { cwd: string; env?: Record<string, string> },
): Promise<CliResult & { json: T }> {
  const result = await tricopy([...args, '--json'], options);
  let json: T;
  try {
    json = JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(
      `stdout of tricopy ${args.join(' ')} is not JSON (exit ${result.code}):\n${result.stdout}\n${result.stderr}`,
    );
  }
  return { ...result, json };
}

export interface Workspace {
  readonly dir: string;
  writeConfig(yaml: string): Promise<string>;
  remove(): Promise<void>;
}

export async function makeWorkspace(name: string): Promise<Workspace> {
  const dir = await mkdtemp(join(tmpdir(), `tricopy-e2e-${name}-`));
  return {
    dir,
    async writeConfig(yaml) {
      const path = join(dir, 'tricopy.yaml');
      await writeFile(path, yaml);
      return path;
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Every file under `dir` as sorted relative paths, or [] when it does not exist. */
export async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

export interface BackupJson {
  status: string;
  runs: {
    job: string;
    backupId: string;
    status: 'ok' | 'degraded' | 'failed';
    size: number | null;
    sha256: string | null;
    startedAt: string;
    finishedAt: string;
    error?: string;
    copies: {
      destination: string;
      status: 'verified' | 'failed';
      size: number | null;
      sha256: string | null;
      location: string | null;
      error?: string;
    }[];
  }[];
}

/** SQL for a table `payload` of `rows` barely compressible rows (about 140 bytes each). */
export function payloadTableSql(rows: number): string {
  return `
CREATE TABLE payload (id int PRIMARY KEY, body text NOT NULL);
INSERT INTO payload
  SELECT g, md5(g::text) || md5((g * 7)::text) || md5((g * 13)::text) || md5((g * 31)::text)
  FROM generate_series(1, ${rows}) g;
`;
}
