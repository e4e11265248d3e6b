import { constants } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** Created exclusively, never through a link planted at the path. */
const NEW_FILE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/** Streams `input` into a new file (mode 0600, must not exist), fsyncs it, and returns the byte count. */
export async function writeNewFile(input: Readable, path: string, signal?: AbortSignal): Promise<number> {
  const handle = await open(path, NEW_FILE, 0o600);
  let written = 0;
  try {
    await pipeline(
      input,
      async (chunks: AsyncIterable<Buffer | string>) => {
        for await (const chunk of chunks) {
          const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
          for (let offset = 0; offset < buffer.length; ) {
            offset += (await handle.write(buffer, offset, buffer.length - offset)).bytesWritten;
          }
          written += buffer.length;
        }
      },
      { signal },
    );
    await handle.sync();
  } finally {
    await handle.close();
  }
  return written;
}

/** The files SQLite keeps beside a database. */
export const SIDE_FILES = ['-wal', '-shm', '-journal'] as const;

/** Removes a database file and its side files; missing ones are fine. */
export async function removeDatabaseFiles(path: string): Promise<void> {
  await Promise.all(
    [path, ...SIDE_FILES.map((suffix) => path + suffix)].map((file) => rm(file, { force: true })),
  );
}
