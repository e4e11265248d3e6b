import { open } from 'node:fs/promises';

/** The first 16 bytes of every SQLite database file. */
export const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

export interface SqliteHeader {
  readonly pageSize: number;
  /** Pages the header says the file holds; undefined when the header's count is not trustworthy (old writers). */
  readonly pageCount: number | undefined;
}

/** Reads a database file's 100-byte header; undefined when the file does not start like a SQLite database. */
export async function readSqliteHeader(path: string): Promise<SqliteHeader | undefined> {
  const handle = await open(path, 'r');
  try {
    const header = Buffer.alloc(100);
    const { bytesRead } = await handle.read(header, 0, 100, 0);
    if (bytesRead < 100 || !header.subarray(0, 16).equals(SQLITE_MAGIC)) return undefined;
    const raw = header.readUInt16BE(16);
    const pageSize = raw === 1 ? 65536 : raw;
    // The in-header size is valid only when the change counter matches "version-valid-for" (file format spec 1.3.8).
    const valid = header.readUInt32BE(24) === header.readUInt32BE(92) && header.readUInt32BE(28) > 0;
    return { pageSize, pageCount: valid ? header.readUInt32BE(28) : undefined };
  } finally {
    await handle.close();
  }
}
