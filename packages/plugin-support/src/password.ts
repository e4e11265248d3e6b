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

/** What a database source's helpers need: its options, its password, and where and who it is. */
export interface ToolSettings<Options> {
  readonly options: Options;
  readonly password: string | undefined;
  readonly configDir: string;
  readonly instance: string;
  redact(text: string): string;
}

/** Reads the password (inline or from `passwordFile`) once and bundles it with the redaction that hides it. */
export async function loadToolSettings<Options extends { password?: string; passwordFile?: string }>(
  options: Options,
  context: PluginContext,
): Promise<ToolSettings<Options>> {
  const password = await readPasswordOption(options, context);
  return {
    options,
    password,
    configDir: context.configDir,
    instance: context.name,
    redact: redactorWith(context, password),
  };
}
