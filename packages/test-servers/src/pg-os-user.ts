import { execa } from 'execa';

/** The OS account PostgreSQL's tools run as when the suite runs as root (initdb and postgres refuse root). */
export const PG_OS_USER = 'postgres';

/** Only what the tools need: no PG* variables of the caller may change what they do. */
export function pgToolEnv(): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    LANG: 'C.UTF-8',
    LC_ALL: 'C.UTF-8',
  };
}

export async function osUserIds(name: string): Promise<{ uid: number; gid: number }> {
  const { stdout } = await execa('id', ['-u', name]);
  const { stdout: gid } = await execa('id', ['-g', name]);
  return { uid: Number(stdout.trim()), gid: Number(gid.trim()) };
}

export function runningAsRoot(): boolean {
  return process.getuid?.() === 0;
}

/**
 * Runs a PostgreSQL server tool as PG_OS_USER when the suite runs as root, else as the current user, with
 * pgToolEnv() plus `env`.
 */
export function asPgServerUser(
  file: string,
  args: readonly string[],
  env?: Readonly<Record<string, string>>,
) {
  const options = { env: { ...pgToolEnv(), ...env }, extendEnv: false };
  return runningAsRoot()
    ? execa('runuser', ['-u', PG_OS_USER, '--', file, ...args], options)
    : execa(file, args, options);
}
