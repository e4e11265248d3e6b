import { join } from 'node:path';
import { childEnv, DestinationError, type PluginContext, resolveConfigPath } from '@tricopy/contract';
import type { RcloneOptions } from './options.js';
import type { RcloneInvocation } from './rclone.js';
import { runRclone } from './rclone.js';

/** The remote name an inline backend gets; it lives only in the child's environment. */
const INLINE_NAME = 'TRICOPY';

/** Options rclone 1.60 stores obscured (`IsPassword` in `rclone config providers`), per backend. */
const OBSCURED: Readonly<Record<string, readonly string[]>> = {
  crypt: ['password', 'password2'],
  cache: ['plex_password'],
  fichier: ['file_password', 'folder_password'],
  ftp: ['pass'],
  koofr: ['password'],
  mailru: ['pass'],
  netstorage: ['secret'],
  opendrive: ['password'],
  pcloud: ['password'],
  seafile: ['pass', 'library_key'],
  sftp: ['pass', 'key_file_pass'],
  sia: ['api_password'],
  smb: ['pass'],
  webdav: ['pass'],
};

/** Inline option names whose values are secrets (besides the obscured ones): redacted from every message. */
const SECRET_NAME = /pass|secret|token|credential|key(?!_file|_use_agent)|sas_url|auth|bearer/i;

export interface ResolvedRemote {
  readonly invocation: RcloneInvocation;
  /** `name:folder` the keys are appended to (no trailing slash; `name:` for the remote's root). */
  readonly root: string;
  /** `root` for people (an inline remote by its type and host, e.g. `sftp@nas.lan:backups`). No secrets. */
  readonly displayRoot: string;
  /** The rclone backend type when known (`local`, `sftp`, `s3`, ...). */
  readonly backendType: string | undefined;
  /** Values to redact from rclone's output. */
  readonly secrets: readonly string[];
}

/** `nas:backups/` → `nas:backups`; `nas:` stays. */
function trimRoot(remote: string): string {
  const colon = remote.indexOf(':');
  const folder = remote.slice(colon + 1).replace(/\/+$/, '');
  return `${remote.slice(0, colon + 1)}${folder === '' && remote[colon + 1] === '/' ? '/' : folder}`;
}

/** rclone's own variables (RCLONE_CONFIG_PASS for an encrypted config, remotes defined in the environment). */
function rcloneEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (name.startsWith('RCLONE_') && value !== undefined) env[name] = value;
  }
  return env;
}

async function obscure(program: string, value: string, who: string): Promise<string> {
  const result = await runRclone({ program, env: childEnv(), configArgs: [] }, 'obscure', ['-'], {
    input: value,
  });
  if (result.exitCode !== 0) {
    throw new DestinationError(
      `${who}: cannot run ${program} obscure to pass a password to rclone (${result.code === 'ENOENT' ? 'rclone is not installed' : `exit ${result.exitCode}`})`,
    );
  }
  return result.stdout.trim();
}

async function namedRemote(options: RcloneOptions, context: PluginContext): Promise<ResolvedRemote> {
  const remote = options.remote as string;
  const configArgs =
    options.configFile === undefined
      ? []
      : ['--config', resolveConfigPath(context.configDir, options.configFile)];
  const invocation = { program: options.rclone, env: childEnv(rcloneEnv()), configArgs };
  const root = trimRoot(remote);
  const backendType = await typeOfRemote(invocation, remote);
  return { invocation, root, displayRoot: root, backendType, secrets: [] };
}

/** The backend type of a configured remote (`rclone listremotes --long`), undefined when rclone cannot tell. */
async function typeOfRemote(invocation: RcloneInvocation, remote: string): Promise<string | undefined> {
  const name = remote.slice(0, remote.indexOf(':') + 1);
  const result = await runRclone(invocation, 'listremotes', ['--long']);
  if (result.exitCode !== 0) return undefined;
  for (const line of result.stdout.split('\n')) {
    const [listed, type] = line.trim().split(/\s+/);
    if (listed === name) return type;
  }
  return undefined;
}

async function inlineRemote(options: RcloneOptions, context: PluginContext): Promise<ResolvedRemote> {
  const { type, ...settings } = options.backend as { type: string } & Record<
    string,
    string | number | boolean
  >;
  const who = `destination "${context.name}"`;
  const obscured = OBSCURED[type] ?? [];
  const env: Record<string, string> = { [`RCLONE_CONFIG_${INLINE_NAME}_TYPE`]: type };
  const secrets: string[] = [];
  for (const [key, value] of Object.entries(settings)) {
    let text = String(value);
    const secret = obscured.includes(key) || SECRET_NAME.test(key);
    if (secret && typeof value === 'string' && value !== '') secrets.push(value);
    if (obscured.includes(key)) {
      text = await obscure(options.rclone, text, who);
      secrets.push(text);
    }
    env[`RCLONE_CONFIG_${INLINE_NAME}_${key.toUpperCase()}`] = text;
  }
  // A config file that does not exist: the user's rclone.conf (and its remotes) stay out of an inline remote.
  const configArgs = ['--config', join(context.workDir, 'rclone-inline.conf')];
  const invocation = { program: options.rclone, env: childEnv(env), configArgs };
  const root = trimRoot(`${INLINE_NAME}:${options.path}`);
  const host = typeof settings.host === 'string' ? `@${settings.host}` : '';
  const displayRoot = `${type}${host}${root.slice(INLINE_NAME.length)}`;
  return { invocation, root, displayRoot, backendType: type, secrets };
}

/** Where the copies go and how to run rclone for them. */
export function resolveRemote(options: RcloneOptions, context: PluginContext): Promise<ResolvedRemote> {
  return options.remote === undefined ? inlineRemote(options, context) : namedRemote(options, context);
}
