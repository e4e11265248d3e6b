import { createHash } from 'node:crypto';
import { SourceError } from '@tricopy/contract';
import { RESTORE_SWAP_PREFIX, type SwapNames, swapIdOf } from '@tricopy/plugin-support';
import type pg from 'pg';
import { quoteIdent } from './connection.js';
import { createdbNeed, isCreatedbDenied } from './createdb.js';

// `restore --force` (and --create-database) restores into a new `tricopy_restore_…_new` database and renames it
// into place in one transaction, so the target is either the old database or the whole new one. The restoring
// session holds an advisory lock named after its run for as long as its databases exist: a later restore drops
// only the databases whose lock is free (their restore is gone) and that nobody is connected to.

/** The advisory lock key of a restore run (locks are per database: always taken in the maintenance database). */
function lockKey(id: string): string {
  return createHash('sha256').update(id).digest().readBigInt64BE(0).toString();
}

export async function lockRun(client: pg.Client, id: string): Promise<void> {
  await client.query('SELECT pg_advisory_lock($1::bigint)', [lockKey(id)]);
}

/** Drops the databases killed restores left (`tricopy_restore_…`, their lock free, unused); returns their names. */
export async function dropLeftovers(client: pg.Client): Promise<string[]> {
  const result = await client.query<{ datname: string }>(
    `SELECT d.datname FROM pg_catalog.pg_database d
      WHERE starts_with(d.datname, $1)
        AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_stat_activity a WHERE a.datid = d.oid)`,
    [RESTORE_SWAP_PREFIX],
  );
  const dropped: string[] = [];
  for (const { datname } of result.rows) {
    const id = swapIdOf(datname);
    if (id === undefined) continue;
    const key = lockKey(id);
    const free = await client.query<{ free: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS free', [
      key,
    ]);
    if (!free.rows[0]?.free) continue;
    try {
      // Without FORCE: a session that connected meanwhile keeps it.
      await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(datname)}`);
      dropped.push(datname);
    } catch {
      // Another owner's, or in use: left for a later run.
    } finally {
      await client.query('SELECT pg_advisory_unlock($1::bigint)', [key]);
    }
  }
  return dropped;
}

interface DatabaseRow {
  owner: string;
  encoding: string;
  datcollate: string;
  datctype: string;
  datconnlimit: number;
  datlocprovider?: string;
  daticulocale?: string | null;
  datlocale?: string | null;
  explicit_acl: boolean;
}

/** Encoding and locale for CREATE DATABASE (provider `i`: ICU). */
export interface LocaleSpec {
  readonly encoding: string;
  readonly collate: string;
  readonly ctype: string;
  readonly provider: string | null;
  readonly icuLocale: string | null;
}

function localeOf(row: DatabaseRow): LocaleSpec {
  return {
    encoding: row.encoding,
    collate: row.datcollate,
    ctype: row.datctype,
    provider: row.datlocprovider ?? null,
    icuLocale: row.datlocale ?? row.daticulocale ?? null,
  };
}

function localeOptions(client: pg.Client, locale: LocaleSpec): string {
  const literal = (text: string) => client.escapeLiteral(text);
  const icu =
    locale.provider === 'i' && locale.icuLocale
      ? ` LOCALE_PROVIDER icu ICU_LOCALE ${literal(locale.icuLocale)}`
      : '';
  return ` ENCODING ${literal(locale.encoding)} LC_COLLATE ${literal(locale.collate)} LC_CTYPE ${literal(locale.ctype)}${icu}`;
}

/** The CREATE DATABASE options that give the new database the old one's owner and limit. */
function likeOptions(row: DatabaseRow): string {
  return ` OWNER ${quoteIdent(row.owner)} CONNECTION LIMIT ${Number(row.datconnlimit)}`;
}

export interface FreshOptions {
  /** Copy the replaced database's privileges (false: the backup brings its own). */
  readonly copyPrivileges: boolean;
  /** The backup's encoding and locale, preferred to the replaced database's or the server's. */
  readonly locale?: LocaleSpec | undefined;
  /** Says that the backup's locale could not be used here. */
  readonly warn: (message: string) => void;
}

/** GRANT / REVOKE statements that give `fresh` the privileges `like` has. */
async function privilegeStatements(client: pg.Client, like: string, fresh: string): Promise<string[]> {
  const grants = await client.query<{ grantee: string; privilege_type: string; is_grantable: boolean }>(
    `SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_catalog.pg_get_userbyid(a.grantee)) END
              AS grantee, a.privilege_type, a.is_grantable
       FROM pg_catalog.pg_database d, aclexplode(d.datacl) a WHERE d.datname = $1`,
    [like],
  );
  const target = quoteIdent(fresh);
  return [
    `REVOKE ALL ON DATABASE ${target} FROM PUBLIC`,
    ...grants.rows.map(
      (g) =>
        `GRANT ${g.privilege_type} ON DATABASE ${target} TO ${g.grantee}${g.is_grantable ? ' WITH GRANT OPTION' : ''}`,
    ),
  ];
}

/**
 * Creates the database the dump is restored into: like the database it will replace (owner, connection limit,
 * privileges unless the backup brings its own) when there is one; with the backup's encoding and locale, else the
 * replaced database's, else the server's defaults (also when the backup's locale does not exist here: with a
 * warning). template0: the dump recreates everything, and objects added to template1 would collide with it.
 */
export async function createFresh(
  client: pg.Client,
  { instance, fresh, like }: { instance: string; fresh: string; like: string | undefined },
  options: FreshOptions = { copyPrivileges: true, warn: () => {} },
): Promise<void> {
  const rows =
    like === undefined
      ? []
      : (
          await client.query<DatabaseRow>(
            `SELECT pg_catalog.pg_get_userbyid(d.datdba) AS owner, pg_catalog.pg_encoding_to_char(d.encoding) AS encoding,
                    d.datacl IS NOT NULL AS explicit_acl, j.*
               FROM pg_catalog.pg_database d,
                    jsonb_to_record(to_jsonb(d)) AS j(datcollate text, datctype text, datconnlimit int,
                                                      datlocprovider text, daticulocale text, datlocale text)
              WHERE d.datname = $1`,
            [like],
          )
        ).rows;
  const row = rows[0];
  try {
    const create = (locale: LocaleSpec | undefined) =>
      client.query(
        `CREATE DATABASE ${quoteIdent(fresh)} TEMPLATE template0${row === undefined ? '' : likeOptions(row)}${locale === undefined ? '' : localeOptions(client, locale)}`,
      );
    const fallback = row === undefined ? undefined : localeOf(row);
    if (options.locale === undefined) await create(fallback);
    else
      await create(options.locale).catch(async (error: unknown) => {
        if (!isLocaleRefused(error)) throw error;
        options.warn(
          `source "${instance}": the backup's encoding ${options.locale?.encoding} and locale ${options.locale?.collate} cannot be used on this server (${(error as Error).message}): the database is created with ${fallback === undefined ? "the server's defaults" : `those of "${like}"`}`,
        );
        await create(fallback);
      });
    if (row?.explicit_acl && options.copyPrivileges)
      for (const sql of await privilegeStatements(client, like!, fresh)) await client.query(sql);
  } catch (error) {
    await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(fresh)}`).catch(() => {});
    const what = like === undefined ? '' : ` with the owner, locale and privileges of "${like}"`;
    const reason = isCreatedbDenied(error) ? createdbNeed(client.user ?? '') : (error as Error).message;
    throw new SourceError(
      `source "${instance}": cannot create the database to restore into${what}: ${reason} (nothing was changed)`,
      { cause: error },
    );
  }
}

/** invalid locale name (wrong_object_type), or encoding and locale that do not match (invalid_parameter_value). */
function isLocaleRefused(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return code === '42809' || code === '22023';
}

/**
 * In one transaction: the target (if `replacing`) becomes `old`, `fresh` becomes the target. Sessions on the old
 * database are ended first (a database in use cannot be renamed). A failure changes nothing.
 */
export async function swapIn(
  client: pg.Client,
  instance: string,
  { target, names, replacing }: { target: string; names: SwapNames; replacing: boolean },
): Promise<void> {
  try {
    await client.query('BEGIN');
    if (replacing) {
      await client.query(
        'SELECT pg_catalog.pg_terminate_backend(pid) FROM pg_catalog.pg_stat_activity WHERE datname = $1 AND pid <> pg_catalog.pg_backend_pid()',
        [target],
      );
      await client.query(`ALTER DATABASE ${quoteIdent(target)} RENAME TO ${quoteIdent(names.old())}`);
    }
    await client.query(`ALTER DATABASE ${quoteIdent(names.fresh())} RENAME TO ${quoteIdent(target)}`);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw new SourceError(
      `source "${instance}": the restore completed, but database "${target}" could not be ${replacing ? 'replaced' : 'created'}: ${(error as Error).message} (it is unchanged; the restored copy is dropped)`,
      { cause: error },
    );
  }
}
