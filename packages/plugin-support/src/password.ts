import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { type PluginContext, SourceError } from '@tricopy/contract';

/** The password from `password`, or the first line of `passwordFile` (relative to the config's folder). */
export async function readPasswordOption(
  options: { readonly password?: string | undefined; readonly passwordFile?: string | undefined },
  context: PluginContext,
): Promise<string | undefined> {
  if (options.passwordFile === undefined) return options.password;
  const file = resolve(context.configDir, options.passwordFile);
  try {
    return (await readFile(file, 'utf8')).split(/\r?\n/)[0];
  } catch (error) {
    throw new SourceError(
      `source "${context.name}": cannot read passwordFile ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)} (check the path and its permissions)`,
    );
  }
}

/** The engine's redaction plus the plugin's own secret (a password read from a file the engine never saw). */
export function redactorWith(context: PluginContext, secret: string | undefined): (text: string) => string {
  return (text) => {
    const redacted = context.redact(text);
    return secret === undefined || secret === '' ? redacted : redacted.replaceAll(secret, '***');
  };
}
