import { z } from 'zod';

export const localOptionsSchema = z.strictObject({
  path: z
    .string()
    .min(1)
    .describe('Folder that holds the copies. Relative paths are resolved against the config file folder.'),
  fsync: z
    .boolean()
    .default(true)
    .describe('Flush each file and its folder to the disk before a put succeeds. Turn off only for tests.'),
});

export type LocalOptions = z.infer<typeof localOptionsSchema>;
