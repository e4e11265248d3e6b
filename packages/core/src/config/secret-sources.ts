import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';

/** Where a `${file:…}` or `${credential:…}` reference reads its value from. */
export type SecretSourceKind = 'file' | 'credential';

export type SecretRead =
  | { readonly ok: true; readonly value: string }
  | { readonly ok: false; readonly why: string };

/** A secret file is small; more than this is a wrong path (a log, a device), never read whole. */
const MAX_BYTES = 64 * 1024;

/** A credential name as systemd accepts it in `LoadCredential=NAME:PATH`: a file name, no `/`. */
const CREDENTIAL_NAME = /^[A-Za-z0-9_.@-]{1,255}$/;

/**
 * Reads `${file:PATH}` (an absolute path) or `${credential:NAME}` (a file in `$CREDENTIALS_DIRECTORY`, as systemd's
 * `LoadCredential=` lays it out). One trailing newline (`\n` or `\r\n`) is dropped, as `echo secret > file` leaves one.
 */
export function readSecretSource(kind: SecretSourceKind, ref: string, env: NodeJS.ProcessEnv): SecretRead {
  // Named in words, not as written: a plugin's secret option holding the unresolved reference has it redacted.
  const what = kind === 'file' ? 'file' : 'systemd credential';
  const path = kind === 'file' ? filePath(ref) : credentialPath(ref, env);
  if (!path.ok) return { ok: false, why: `${what} ${ref}: ${path.why}` };
  const read = readSmallFile(path.value);
  if (!read.ok) {
    const where = kind === 'file' ? path.value : `${ref} (${path.value})`;
    return { ok: false, why: `cannot read ${what} ${where}: ${read.why}` };
  }
  return { ok: true, value: read.value.replace(/\r?\n$/, '') };
}

function filePath(ref: string): SecretRead {
  if (!isAbsolute(ref)) {
    return { ok: false, why: 'the path must be absolute (e.g. ${file:/run/secrets/pg}), not relative' };
  }
  return { ok: true, value: ref };
}

function credentialPath(name: string, env: NodeJS.ProcessEnv): SecretRead {
  if (!CREDENTIAL_NAME.test(name) || name === '.' || name === '..') {
    return {
      ok: false,
      why: 'a credential name is a file name: letters, digits, ".", "_", "-", "@", no "/" or ":"',
    };
  }
  const dir = env.CREDENTIALS_DIRECTORY;
  if (dir === undefined || dir === '') {
    return {
      ok: false,
      why: `$CREDENTIALS_DIRECTORY is not set: run tricopy from a systemd unit with LoadCredential=${name}:PATH (tricopy schedule --print systemd prints it), or use \${file:PATH} or \${VAR}`,
    };
  }
  return { ok: true, value: join(dir, name) };
}

function readSmallFile(path: string): SecretRead {
  let fd: number;
  try {
    // O_NONBLOCK: a FIFO or a device at that path never blocks the config load.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    return { ok: false, why: errnoWords(error) };
  }
  try {
    const info = fstatSync(fd);
    if (!info.isFile()) return { ok: false, why: 'not a regular file' };
    if (info.size > MAX_BYTES) return { ok: false, why: `larger than ${MAX_BYTES} bytes, not a secret` };
    return { ok: true, value: readFileSync(fd, 'utf8') };
  } catch (error) {
    return { ok: false, why: errnoWords(error) };
  } finally {
    closeSync(fd);
  }
}

const ERRNO_HINTS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file (create it, or fix the path)',
  EACCES: 'permission denied (let the user running tricopy read it)',
  EISDIR: 'a folder, not a file',
  ENOTDIR: 'a part of the path is not a folder',
};

function errnoWords(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
  return ERRNO_HINTS[code] === undefined ? code : `${code}, ${ERRNO_HINTS[code]}`;
}
