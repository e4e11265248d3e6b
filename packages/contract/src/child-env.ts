/** What a program needs to find its tools, speak the user's language and write temporary files: nothing secret. */
const INHERITED = ['PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'LANG', 'LANGUAGE', 'TZ', 'TMPDIR'] as const;

/**
 * The environment to give a child process: PATH, home, user, locale (`LANG`, `LC_*`), time zone and TMPDIR from
 * tricopy's own environment, nothing else, plus `extra`. tricopy's environment holds the passwords and keys that
 * `${VAR}` in the config refers to; a child started with it could read every one (and so could anyone who can read
 * its /proc/PID/environ). Start children with `{ env: childEnv(), extendEnv: false }` (execa) or `{ env: childEnv() }`.
 */
export function childEnv(extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin' };
  for (const [name, value] of Object.entries(process.env)) {
    if (value === undefined) continue;
    if ((INHERITED as readonly string[]).includes(name) || name.startsWith('LC_')) env[name] = value;
  }
  return { ...env, ...extra };
}
