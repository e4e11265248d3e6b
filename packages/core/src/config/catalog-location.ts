import { join } from 'node:path';
import type { Redactor } from '../util/redactor.js';

export interface CatalogLocation {
  /** The SQLite file (also where lock files live); with a database URL, the default path, unused. */
  readonly catalogPath: string;
  /** `postgres://USER:PASSWORD@HOST:PORT/DB`: the catalog is kept in that database (fleet mode). */
  readonly catalogUrl?: string;
}

/**
 * Where the config's `catalog` points: a `postgres://` URL (its password becomes a secret, redacted from every text
 * a person sees), or a file path relative to the config's folder. A malformed URL is a problem, never a file name.
 */
/** Whether the config's `catalog` is a PostgreSQL URL (fleet mode) rather than a file path. */
export function isDatabaseUrl(value: string): boolean {
  return /^postgres(ql)?:\/\//i.test(value);
}

export function catalogLocation(
  value: unknown,
  resolvePath: (path: string) => string,
  redactor: Redactor,
  problems: string[],
): CatalogLocation {
  const catalogPath = resolvePath(
    typeof value === 'string' && !isDatabaseUrl(value) ? value : join('.tricopy', 'catalog.db'),
  );
  if (typeof value !== 'string' || !isDatabaseUrl(value)) return { catalogPath };
  const url = parseUrl(value);
  if (url === undefined) {
    redactor.add(/:\/\/[^:@/]*:([^@]*)@/.exec(value)?.[1]);
    problems.push('catalog: not a valid URL (postgres://USER:PASSWORD@HOST:PORT/DATABASE)');
    return { catalogPath };
  }
  if (url.password !== '') {
    redactor.add(url.password);
    redactor.add(decodeURIComponent(url.password));
  }
  if (url.hostname === '')
    problems.push('catalog: the URL names no host (postgres://USER:PASSWORD@HOST:PORT/DATABASE)');
  if (url.pathname.length <= 1)
    problems.push('catalog: the URL names no database (postgres://USER:PASSWORD@HOST:PORT/DATABASE)');
  return { catalogPath, catalogUrl: value };
}

function parseUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}
