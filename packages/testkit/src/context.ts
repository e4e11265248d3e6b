import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Logger, type PluginContext, silentLogger } from '@tricopy/contract';
import { onTestFinished } from 'vitest';

export interface TestContextOptions {
  name?: string;
  configDir?: string;
  workDir?: string;
  logger?: Logger;
  /** Strings `redact` replaces with `***`, as the engine does for secret options. */
  secrets?: readonly string[];
}

/**
 * A fresh temp folder, removed when the current test finishes (also when testContext runs in a beforeEach);
 * outside a test, removed when the process exits normally.
 */
function scratchFolder(kind: string): string {
  const folder = mkdtempSync(join(tmpdir(), `tricopy-testkit-${kind}-`));
  const remove = () => rmSync(folder, { recursive: true, force: true });
  try {
    onTestFinished(remove);
  } catch {
    process.once('exit', remove);
  }
  return folder;
}

/**
 * A PluginContext for plugin tests: silent logger, a working `redact`, and (unless given) fresh configDir and
 * workDir folders that are removed when the test finishes.
 */
export function testContext(options: TestContextOptions = {}): PluginContext {
  const secrets = (options.secrets ?? []).filter((secret) => secret.length > 0);
  return {
    name: options.name ?? 'test',
    configDir: options.configDir ?? scratchFolder('config'),
    workDir: options.workDir ?? scratchFolder('work'),
    logger: options.logger ?? silentLogger,
    redact: (text) => secrets.reduce((redacted, secret) => redacted.split(secret).join('***'), text),
  };
}

/** A logger that keeps every message it is given, whatever its level, in `messages`. */
export function recordingLogger(): Logger & { readonly messages: string[] } {
  const messages: string[] = [];
  const keep = (message: string) => {
    messages.push(message);
  };
  return { messages, debug: keep, info: keep, warn: keep, error: keep };
}
