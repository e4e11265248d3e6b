import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { defaultConfigPath, UsageError } from '@tricopy/core';
import type { GlobalOptions } from '../context.js';
import { writeDemo } from '../demo.js';
import { EXIT } from '../exit-codes.js';
import { printJson, printLine } from '../output.js';
import { STARTER_CONFIG } from '../starter-config.js';

export async function initCommand(
  options: GlobalOptions & { force?: boolean; demo?: string },
): Promise<number> {
  if (options.demo !== undefined) {
    const demo = await writeDemo(options.demo);
    if (options.json) printJson(demo);
    else printLine(`demo ready: ${demo.database} and ${demo.config}`);
    return EXIT.ok;
  }
  const path = options.config ?? defaultConfigPath();
  if (existsSync(path) && !options.force) {
    throw new UsageError(`${path} exists; pass --force to overwrite it`);
  }
  await writeFile(path, STARTER_CONFIG, { mode: 0o600 });
  if (options.json) printJson({ config: path });
  else printLine(`wrote ${path}: edit it, then run tricopy check`);
  return EXIT.ok;
}
