import { z } from 'zod';

export const postgresOptionsSchema = z
  .strictObject({
    host: z.string().min(1).default('127.0.0.1').describe('Server name or address (or a Unix socket folder)'),
    port: z.number().int().min(1).max(65_535).default(5432).describe('Server port'),
    user: z.string().min(1).describe('Login role; needs read access to everything it dumps'),
    database: z.string().min(1).describe('Database to back up'),
    password: z
      .string()
      .min(1)
      .optional()
      .describe('Password (secret: write ${PGPASS_APP} and set the variable)'),
    passwordFile: z
      .string()
      .min(1)
      .optional()
      .describe(
        'File holding the password (first line), relative to the config file; alternative to password',
      ),
    sslmode: z
      .enum(['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'])
      .default('prefer')
      .describe('TLS mode, as libpq understands it'),
    sslrootcert: z.string().min(1).optional().describe('CA certificate file for verify-ca / verify-full'),
    mode: z
      .enum(['dump', 'base'], {
        error: 'mode must be "dump" (pg_dump of one database) or "base" (pg_basebackup of the whole cluster)',
      })
      .default('dump')
      .describe(
        'dump: pg_dump of the database (logical); base: pg_basebackup of the whole cluster (physical, restored into a data directory; for point-in-time recovery)',
      ),
    wal: z
      .union([
        z.boolean(),
        z.strictObject({
          slot: z
            .string()
            .regex(/^[a-z0-9_]{1,58}$/, {
              error: 'wal.slot: lowercase letters, digits and _ only, at most 58 characters',
            })
            .optional()
            .describe(
              'The replication slot acknowledged WAL is kept by (default tricopy_<job>; <slot>_recv is also used)',
            ),
          switchAfter: z
            .string()
            .regex(/^\d+(s|m|h)$/, { error: 'wal.switchAfter: a duration such as 30s, 5m or 1h' })
            .optional()
            .describe(
              'Ask the server for a segment switch (pg_switch_wal) when WAL has waited this long in a partial segment; bounds the RPO; needs EXECUTE on pg_switch_wal',
            ),
        }),
      ])
      .optional()
      .describe(
        'Archive WAL continuously (mode: base): tricopy wal JOB or the daemon stores every segment on every destination',
      ),
    format: z
      .enum(['custom', 'plain'])
      .default('custom')
      .describe(
        'custom: pg_dump -Fc (compressed, restored with pg_restore); plain: SQL text (restored with psql)',
      ),
    compressLevel: z
      .number()
      .int()
      .min(0)
      .max(9)
      .optional()
      .describe(
        "custom format only: pg_dump's own (gzip) compression level instead of the default zstd pipe; 0 leaves compression to tricopy",
      ),
    schemas: z
      .array(z.string().min(1))
      .optional()
      .describe('Dump only these schemas (exact names); default: all'),
    excludeTables: z
      .array(z.string().min(1))
      .default([])
      .describe(
        'Tables to leave out: `schema.table` or `table` (any schema), exact case, `*` matches any run',
      ),
    noOwner: z
      .boolean()
      .default(false)
      .describe('Do not restore ownership and privileges (custom: at restore; plain: at dump time)'),
    binDir: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Folder holding pg_dump, pg_restore and psql; default: newest /usr/lib/postgresql/*/bin, then PATH',
      ),
    pgDumpPath: z.string().min(1).optional().describe('pg_dump to use (overrides binDir)'),
    pgRestorePath: z.string().min(1).optional().describe('pg_restore to use (overrides binDir)'),
    psqlPath: z.string().min(1).optional().describe('psql to use (overrides binDir)'),
    pgDumpallPath: z.string().min(1).optional().describe('pg_dumpall to use for globals (overrides binDir)'),
    globals: z
      .boolean()
      .default(false)
      .describe(
        'Also store the roles the database uses (owners, grantees, with their password hashes) in the backup; restore --globals recreates missing ones',
      ),
    maintenanceDatabase: z
      .string()
      .min(1)
      .default('postgres')
      .describe('Database to connect to when creating or dropping restore targets'),
    connectTimeoutSeconds: z.number().int().min(1).max(600).default(15).describe('Connection timeout'),
  })
  .refine((options) => !(options.password !== undefined && options.passwordFile !== undefined), {
    message: 'set password or passwordFile, not both',
    path: ['passwordFile'],
  })
  .refine((options) => options.compressLevel === undefined || options.format === 'custom', {
    message: 'compressLevel applies to format: custom only',
    path: ['compressLevel'],
  })
  .refine((options) => options.wal === undefined || options.wal === false || options.mode === 'base', {
    message:
      "wal archives the whole cluster's WAL for point-in-time recovery: set mode: base (or remove wal)",
    path: ['wal'],
  })
  .refine((options) => options.mode === 'dump' || dumpOnlyOptionsSet(options).length === 0, {
    message:
      'mode: base backs up the whole cluster: remove schemas, excludeTables, globals and compressLevel (they apply to mode: dump only)',
    path: ['mode'],
  });

/** Options that only pg_dump understands, set to something other than their default. */
function dumpOnlyOptionsSet(options: {
  schemas?: readonly string[] | undefined;
  excludeTables: readonly string[];
  globals: boolean;
  compressLevel?: number | undefined;
}): string[] {
  return [
    ...(options.schemas === undefined ? [] : ['schemas']),
    ...(options.excludeTables.length === 0 ? [] : ['excludeTables']),
    ...(options.globals ? ['globals'] : []),
    ...(options.compressLevel === undefined ? [] : ['compressLevel']),
  ];
}

export type PostgresOptions = z.output<typeof postgresOptionsSchema>;

/** Where the data comes from, for people: `postgres://user@host:port/db`, no secrets. */
export function describePostgres({ user, host, port, database }: PostgresOptions): string {
  return `postgres://${encodeURIComponent(user)}@${host}:${port}/${encodeURIComponent(database)}`;
}
