/** The catalog's database for people: `postgres://user@host:port/db`, never the password. */
export function describeCatalogUrl(url: string): string {
  try {
    const parsed = new URL(url);
    const user = parsed.username === '' ? '' : `${decodeURIComponent(parsed.username)}@`;
    return `${parsed.protocol}//${user}${parsed.host}${parsed.pathname}`;
  } catch {
    return 'the catalog URL';
  }
}

/** Why the catalog's database could not be opened, and what to fix, in one line without the password. */
export function catalogOpenError(url: string, error: unknown): Error {
  const where = describeCatalogUrl(url);
  const { code, message } = (error ?? {}) as { code?: string; message?: string };
  const hints: Record<string, string> = {
    ECONNREFUSED: 'connection refused (is PostgreSQL running there? check catalog: in the config)',
    ENOTFOUND: 'unknown host (check the host in catalog: in the config)',
    ETIMEDOUT: 'the connection timed out (is the host reachable from here?)',
    '28P01': 'password authentication failed (check the user and password in catalog:)',
    '28000': 'the server refused this user (check pg_hba.conf and the user in catalog:)',
    '3D000': 'the database does not exist (create it first, e.g. createdb, or fix the name in catalog:)',
    '42501': 'permission denied (the user needs CREATE on the database to make the tricopy schemas)',
  };
  const why = (code === undefined ? undefined : hints[code]) ?? message ?? String(error);
  return new Error(`cannot open the catalog at ${where}: ${why}`, { cause: error });
}
