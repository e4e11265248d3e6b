import { open } from 'node:fs/promises';

/** Makes a rename, link or unlink in `dir` durable (fsync of the folder itself). */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
