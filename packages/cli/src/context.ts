import { resolve } from 'node:path';
import {
  createHumanLogger,
  createJsonLogger,
  defaultConfigPath,
  type LoadedConfig,
  type LogLevel,
  loadConfig,
  Redactor,
  Session,
} from '@tricopy/core';
import { BUILTIN_PLUGINS } from './builtin-plugins.js';
import { configEnvironment } from './env-file.js';
import { restoreCommandLine } from './restore-command-line.js';

export interface GlobalOptions {
  config?: string;
  json?: boolean;
  verbose?: boolean;
  quiet?: boolean;
  logFormat?: 'human' | 'json';
  envFile?: string;
  /** restore and verify: the age identity file (--identity FILE, else $TRICOPY_IDENTITY_FILE). */
  identity?: string;
}

/** The identity file restores of encrypted backups use: --identity, else $TRICOPY_IDENTITY_FILE. Its path only. */
export function identityFileOf(
  options: GlobalOptions,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  const file = options.identity ?? env.TRICOPY_IDENTITY_FILE;
  return file === undefined || file === '' ? undefined : resolve(file);
}

/** The paths a restore_command (wal-fetch) needs to find this config, its env file and the identity file. */
export function restorePaths(options: GlobalOptions): {
  config?: string;
  envFile?: string;
  identityFile?: string;
} {
  const identityFile = identityFileOf(options);
  return {
    ...(options.config === undefined ? {} : { config: options.config }),
    ...(options.envFile === undefined ? {} : { envFile: options.envFile }),
    ...(identityFile === undefined ? {} : { identityFile }),
  };
}

export function logLevel(options: GlobalOptions): LogLevel {
  if (options.verbose) return 'debug';
  if (options.quiet) return 'error';
  return 'info';
}

export async function openConfig(options: GlobalOptions): Promise<LoadedConfig> {
  const config = await loadConfig(
    options.config ?? defaultConfigPath(),
    BUILTIN_PLUGINS,
    await configEnvironment(options.envFile),
  );
  // The PostgreSQL catalog (and `pg`) is loaded only for a config that names one: it costs every other start-up.
  if (config.catalogUrl !== undefined) (await import('@tricopy/fleet/catalog')).registerFleet();
  return config;
}

type SessionOptions = ConstructorParameters<typeof Session>[0];

/** Loads the config and opens a session with a logger on stderr (stdout is kept for results). */
export async function openSession(
  options: GlobalOptions,
  create: (options: SessionOptions) => Session = (o) => new Session(o),
): Promise<Session> {
  const config = await openConfig(options);
  const level = logLevel(options);
  const logger =
    options.logFormat === 'json'
      ? createJsonLogger(level, config.redactor)
      : createHumanLogger(level, config.redactor);
  const identityFile = identityFileOf(options);
  return create({
    config,
    logger,
    ...(identityFile === undefined ? {} : { identityFile }),
    walFetchCommand: (job) => restoreCommandLine(job, restorePaths(options)),
  });
}

export function fallbackRedactor(): Redactor {
  return new Redactor();
}

/** Runs `fn` with a session and always releases connections, scratch files and the catalog. */
export async function withSession<T>(
  options: GlobalOptions,
  fn: (session: Session) => Promise<T>,
  create?: (options: SessionOptions) => Session,
): Promise<T> {
  const session = await openSession(options, create);
  try {
    return await fn(session);
  } finally {
    await session.close();
    await session.closeCatalog();
  }
}
