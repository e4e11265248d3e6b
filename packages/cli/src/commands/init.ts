import { createFileExclusive, writeFileBeside } from '@tricopy/contract';
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
  await writeStarterConfig(path, options.force === true);
  if (options.json) printJson({ config: path });
  else printLine(`wrote ${path}: edit it, then run tricopy check`);
  return EXIT.ok;
}

/** A new file, or with `force` a new file renamed over whatever is there (a symlink is replaced, never followed). */
async function writeStarterConfig(path: string, force: boolean): Promise<void> {
  try {
    await (force ? writeFileBeside(path, STARTER_CONFIG) : createFileExclusive(path, STARTER_CONFIG));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new UsageError(`${path} exists; pass --force to overwrite it`);
    if (code === 'ENOENT')
      throw new UsageError(`cannot write ${path}: its folder does not exist (create it first)`);
    throw new UsageError(`cannot write ${path}: ${code ?? (error as Error).message}`);
  }
}
