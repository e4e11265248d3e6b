import { z } from 'zod';

/** `jobs.NAME.drill`: restore the newest good backup into `target`, run `postRestoreSql`, then the assertions. */
export const drillSchema = z.strictObject({
  /** When the daemon runs it (cron, in the job's timezone); without it, only `tricopy drill JOB`. */
  schedule: z.string().optional(),
  target: z
    .strictObject({
      database: z.string().min(1).optional(),
      path: z.string().min(1).optional(),
    })
    .refine((target) => (target.database === undefined) !== (target.path === undefined), {
      message: 'set database (a server source) or path (SQLite), exactly one',
    }),
  postRestoreSql: z.array(z.string().trim().min(1, 'an empty statement')).default([]),
});

export interface DrillSpec {
  readonly schedule?: string;
  /** A database on the job's own server, or a file (resolved against the config's folder). */
  readonly target: { readonly database: string } | { readonly path: string };
  readonly postRestoreSql: readonly string[];
}
