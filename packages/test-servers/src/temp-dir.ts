import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TempDir {
  readonly path: string;
  remove(): Promise<void>;
}

/** A fresh folder under the OS temp dir; `mode` 0o755 lets an unprivileged server user reach it. */
export async function makeTempDir(prefix: string, mode = 0o700): Promise<TempDir> {
  const path = await mkdtemp(join(tmpdir(), `tricopy-${prefix}-`));
  await chmod(path, mode);
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}
