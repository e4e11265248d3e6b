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

export interface GlobalOptions {
  config?: string;
  json?: boolean;
  verbose?: boolean;
  quiet?: boolean;
  logFormat?: 'human' | 'json';
}

export function logLevel(options: GlobalOptions): LogLevel {
  if (options.verbose) return 'debug';
  if (options.quiet) return 'error';
  return 'info';
}

export async function openConfig(options: GlobalOptions): Promise<LoadedConfig> {
  return loadConfig(options.config ?? defaultConfigPath(), BUILTIN_PLUGINS);
}

/** Loads the config and opens a session with a logger on stderr (stdout is kept for results). */
export async function openSession(options: GlobalOptions): Promise<Session> {
  const config = await openConfig(options);
  const level = logLevel(options);
  const logger =
    options.logFormat === 'json'
      ? createJsonLogger(level, config.redactor)
      : createHumanLogger(level, config.redactor);
  return new Session({ config, logger });
}

export function fallbackRedactor(): Redactor {
  return new Redactor();
}

/** Runs `fn` with a session and always releases connections, scratch files and the catalog. */
export async function withSession<T>(
  options: GlobalOptions,
  fn: (session: Session) => Promise<T>,
): Promise<T> {
  const session = await openSession(options);
  try {
    return await fn(session);
  } finally {
    await session.close();
    session.closeCatalog();
  }
}
