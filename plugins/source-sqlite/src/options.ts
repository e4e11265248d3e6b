import { z } from 'zod';

export const sqliteOptionsSchema = z.strictObject({
  path: z
    .string()
    .min(1)
    .describe('The SQLite database file. Relative paths are resolved against the config file folder.'),
  busyTimeoutMs: z
    .number()
    .int()
    .min(0)
    .default(5000)
    .describe('How long to wait for a writer to release its lock before the dump fails, in milliseconds.'),
});

export type SqliteOptions = z.infer<typeof sqliteOptionsSchema>;
