import { execFile } from 'node:child_process';

export interface VersionOutput {
  /** The program's exit code; null when it could not be started, was killed or timed out. */
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `file --version` (or other short-output `args`) with exactly `env` and gives back what it printed; never
 * rejects. node:child_process rather than execa: a backup asks its dump tool's version on every run, and execa's
 * 111 modules cost about 4 MiB of resident memory for that one call.
 */
export function versionOutput(
  file: string,
  args: readonly string[],
  env: Record<string, string>,
  timeoutMs = 30_000,
): Promise<VersionOutput> {
  return new Promise((resolve) => {
    execFile(file, args, { env, timeout: timeoutMs, maxBuffer: 1024 * 1024 }, (error, stdout, stderr) => {
      const code = (error as { code?: unknown } | null)?.code;
      const exitCode = error === null ? 0 : typeof code === 'number' ? code : null;
      const failure = error !== null && exitCode === null ? error.message : '';
      resolve({ exitCode, stdout: stdout.trim(), stderr: `${stderr}${failure}`.trim() });
    });
  });
}
