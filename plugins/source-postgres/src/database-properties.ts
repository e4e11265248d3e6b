import type pg from 'pg';
import { z } from 'zod';

/**
 * What `pg_dump --create` carries about the database itself, plus its role-in-database settings, as the catalog
 * holds them (settings as `name=value`, exactly as in pg_db_role_setting). Read when the backup is made and kept in
 * the manifest's details, so a restore under any name, in any format, can give them back.
 */
export const databasePropertiesSchema = z.object({
  owner: z.string(),
  /** null: the default privileges (PUBLIC may connect and create temporary tables). */
  acl: z
    .array(z.object({ grantee: z.string().nullable(), privilege: z.string(), grantable: z.boolean() }))
    .nullable(),
  comment: z.string().nullable(),
  connectionLimit: z.number().int(),
  settings: z.array(z.string()),
  roleSettings: z.array(z.object({ role: z.string(), settings: z.array(z.string()) })),
  /** Encoding and locale, as CREATE DATABASE takes them (ICU: provider `i` and its locale). */
  locale: z
    .object({
      encoding: z.string(),
      collate: z.string(),
      ctype: z.string(),
      provider: z.string().nullable(),
      icuLocale: z.string().nullable(),
    })
    .optional(),
});

export type DatabaseProperties = z.infer<typeof databasePropertiesSchema>;

/** The manifest details key. */
export const DATABASE_PROPERTIES = 'databaseProperties';

/** The properties of the database `client` is connected to. */
export async function readDatabaseProperties(client: pg.Client): Promise<DatabaseProperties> {
  const database = await client.query<{
    owner: string;
    acl: DatabaseProperties['acl'];
    comment: string | null;
    limit: number;
    encoding: string;
    datcollate: string;
    datctype: string;
    datlocprovider: string | null;
    daticulocale: string | null;
    datlocale: string | null;
  }>(
    // The locale columns differ between versions (daticulocale became datlocale in 17): read whichever exist.
    `SELECT pg_catalog.pg_get_userbyid(d.datdba) AS owner, d.datconnlimit AS limit,
            pg_catalog.pg_encoding_to_char(d.encoding) AS encoding, j.*,
            pg_catalog.shobj_description(d.oid, 'pg_database') AS comment,
            CASE WHEN d.datacl IS NULL THEN NULL ELSE coalesce(
              (SELECT json_agg(json_build_object(
                        'grantee', CASE WHEN a.grantee = 0 THEN NULL ELSE pg_catalog.pg_get_userbyid(a.grantee) END,
                        'privilege', a.privilege_type, 'grantable', a.is_grantable))
                 FROM aclexplode(d.datacl) a),
              '[]'::json) END AS acl
       FROM pg_catalog.pg_database d,
            jsonb_to_record(to_jsonb(d)) AS j(datcollate text, datctype text, datlocprovider text,
                                              daticulocale text, datlocale text)
      WHERE d.datname = current_database()`,
  );
  const settings = await client.query<{ role: string | null; settings: string[] }>(
    `SELECT CASE WHEN s.setrole = 0 THEN NULL ELSE pg_catalog.pg_get_userbyid(s.setrole) END AS role,
            s.setconfig AS settings
       FROM pg_catalog.pg_db_role_setting s JOIN pg_catalog.pg_database d ON d.oid = s.setdatabase
      WHERE d.datname = current_database() ORDER BY 1 NULLS FIRST`,
  );
  const row = database.rows[0]!;
  return {
    owner: row.owner,
    acl: row.acl,
    comment: row.comment,
    connectionLimit: Number(row.limit),
    settings: settings.rows.find((s) => s.role === null)?.settings ?? [],
    roleSettings: settings.rows.flatMap((s) =>
      s.role === null ? [] : [{ role: s.role, settings: s.settings }],
    ),
    locale: {
      encoding: row.encoding,
      collate: row.datcollate,
      ctype: row.datctype,
      provider: row.datlocprovider,
      icuLocale: row.datlocale ?? row.daticulocale,
    },
  };
}

/** The properties recorded in a backup's details; undefined for a backup made before they were recorded. */
export function recordedProperties(
  details: Readonly<Record<string, unknown>> | undefined,
): DatabaseProperties | undefined {
  const parsed = databasePropertiesSchema.safeParse(details?.[DATABASE_PROPERTIES]);
  return parsed.success ? parsed.data : undefined;
}
