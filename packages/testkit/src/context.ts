import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Logger, type PluginContext, silentLogger } from '@tricopy/contract';

export interface TestContextOptions {
  name?: string;
  configDir?: string;
  workDir?: string;
  logger?: Logger;
  /** Strings `redact` replaces with `***`, as the engine does for secret options. */
  secrets?: readonly string[];
}

/** A PluginContext for plugin tests: silent logger, temp folders unless given, a working `redact`. */
export function testContext(options: TestContextOptions = {}): PluginContext {
  const secrets = (options.secrets ?? []).filter((secret) => secret.length > 0);
  return {
    name: options.name ?? 'test',
    configDir: options.configDir ?? mkdtempSync(join(tmpdir(), 'tricopy-config-')),
    workDir: options.workDir ?? mkdtempSync(join(tmpdir(), 'tricopy-work-')),
    logger: options.logger ?? silentLogger,
    redact: (text) => secrets.reduce((redacted, secret) => redacted.split(secret).join('***'), text),
  };
}
