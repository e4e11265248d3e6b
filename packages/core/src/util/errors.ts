export { ConfigError } from './errors/config-error.js';
export { IntegrityError } from './errors/integrity-error.js';
export { PluginLoadError } from './errors/plugin-load-error.js';
export { UsageError } from './errors/usage-error.js';

/** One line for a person: the message of a TricopyError, or the message of anything else. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
