import { z } from 'zod';

export const mysqlOptionsSchema = z
  .strictObject({
    host: z
      .string()
      .min(1)
      .default('127.0.0.1')
      .describe('Server name or address (ignored when socket is set)'),
    port: z.number().int().min(1).max(65_535).default(3306).describe('Server port'),
    socket: z.string().min(1).optional().describe('Unix socket path; used instead of host/port'),
    user: z
      .string()
      .min(1)
      .describe('Login user; needs SELECT, SHOW VIEW, TRIGGER, EVENT and routine access'),
    database: z.string().min(1).optional().describe('Database to back up (or use databases)'),
    databases: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe(
        'Several databases in one dump (mariadb-dump --databases); restores under the original names',
      ),
    password: z
      .string()
      .min(1)
      .optional()
      .describe('Password (secret: write ${MYSQL_PASS_APP} and set the variable)'),
    passwordFile: z
      .string()
      .min(1)
      .optional()
      .describe(
        'File holding the password (first line), relative to the config file; alternative to password',
      ),
    dumpBinary: z
      .string()
      .min(1)
      .optional()
      .describe('Dump tool: path or name on PATH; default mariadb-dump, then mysqldump'),
    clientBinary: z
      .string()
      .min(1)
      .optional()
      .describe('Client used to restore: path or name on PATH; default mariadb, then mysql'),
    useDefaultsFile: z
      .boolean()
      .default(false)
      .describe("Also read the user's my.cnf files (default: ignore them, only tricopy's settings apply)"),
    definers: z
      .enum(['keep', 'strip'])
      .default('keep')
      .describe(
        'strip: remove DEFINER= clauses while restoring, so a non-root user can restore views and routines',
      ),
    tls: z
      .enum(['off', 'prefer', 'require', 'verify-ca', 'verify-full'])
      .default('prefer')
      .describe(
        'TLS: off; prefer (the tools use TLS when the server offers it; the check connection of tricopy does not); require (encrypt, no certificate check); verify-ca (certificate signed by tlsCa); verify-full (also the host name). MariaDB clients check the host name for verify-ca too',
      ),
    tlsCa: z
      .string()
      .min(1)
      .optional()
      .describe('CA certificate file for verify-ca / verify-full, relative to the config file'),
    connectTimeoutSeconds: z.number().int().min(1).max(600).default(15).describe('Connection timeout'),
    globals: z
      .boolean()
      .default(false)
      .describe(
        'Also store the users and MariaDB roles the databases use (grantees, definers, the users working through a role, with their password hashes, grants, role grants and default roles) in the backup; restore --globals recreates missing ones',
      ),
  })
  .refine((options) => (options.database === undefined) !== (options.databases === undefined), {
    message: 'set database (one) or databases (several), exactly one of them',
    path: ['database'],
  })
  .refine((options) => !(options.password !== undefined && options.passwordFile !== undefined), {
    message: 'set password or passwordFile, not both',
    path: ['passwordFile'],
  });

export type MysqlOptions = z.output<typeof mysqlOptionsSchema>;
