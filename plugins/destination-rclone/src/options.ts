import { z } from 'zod';

/** `name:` or `name:path`, as rclone writes a configured remote. */
const REMOTE_PATTERN = /^[\w.\- +@]+:/;

const backendValue = z.union([z.string(), z.number(), z.boolean()]);

export const rcloneOptionsSchema = z
  .strictObject({
    remote: z
      .string()
      .regex(REMOTE_PATTERN, 'expected NAME:path, a remote of your rclone.conf (e.g. gdrive:backups/db)')
      .optional()
      .describe('A remote of the rclone config file and the folder in it: NAME:path'),
    configFile: z
      .string()
      .min(1)
      .optional()
      .describe(
        "rclone's config file, relative to the config file (default: rclone's own, ~/.config/rclone/rclone.conf)",
      ),
    backend: z
      .looseObject({
        type: z.string().regex(/^[a-z0-9]+$/, 'expected an rclone backend name, e.g. sftp, s3, drive'),
      })
      .catchall(backendValue)
      .optional()
      .describe(
        'An inline remote instead of `remote`: `type` (sftp, s3, drive, ...) and the options `rclone config` would ' +
          'write, under the same names (secrets given in plain text, e.g. ${VAR}; passwords are obscured for rclone)',
      ),
    path: z
      .string()
      .default('')
      .describe('With `backend`: the folder in the remote that holds the copies (a bucket/folder for s3)'),
    rclone: z.string().min(1).default('rclone').describe('The rclone program (a path, or a name on PATH)'),
  })
  .refine((options) => (options.remote === undefined) !== (options.backend === undefined), {
    message: 'set either remote (NAME:path from rclone.conf) or backend (an inline remote), not both',
    path: ['remote'],
  })
  .refine((options) => options.backend === undefined || options.configFile === undefined, {
    message: 'configFile applies to remote only; an inline backend needs no rclone.conf',
    path: ['configFile'],
  })
  .refine((options) => options.remote === undefined || options.path === '', {
    message: 'with remote, write the folder after the colon (NAME:folder) instead of path',
    path: ['path'],
  });

export type RcloneOptions = z.output<typeof rcloneOptionsSchema>;
