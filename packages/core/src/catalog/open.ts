import type { LoadedConfig } from '../config/load.js';
import { ConfigError } from '../util/errors.js';
import type { Catalog } from './catalog.js';
import { openSqliteCatalog } from './sqlite-catalog.js';

/** Opens a catalog kept in a database server, from its URL (the password in it is a secret: never print it). */
export type CatalogOpener = (url: string, options: { readonly now: () => Date }) => Catalog;

let postgresOpener: CatalogOpener | undefined;

/**
 * Lets `catalog: postgres://…` work: the PostgreSQL catalog lives in @tricopy/fleet, which registers itself here
 * (the core does not depend on it, so it stays light for a single machine).
 */
export function registerPostgresCatalog(opener: CatalogOpener): void {
  postgresOpener = opener;
}

/**
 * The catalog the config names: a PostgreSQL database for a `postgres://` URL, else the SQLite file (read-only for
 * a command that only reads it).
 */
export function openCatalog(
  config: LoadedConfig,
  now: () => Date,
  options: { readonly readOnly?: boolean } = {},
): Catalog {
  if (config.catalogUrl === undefined) return openSqliteCatalog(config.catalogPath, now, options);
  if (postgresOpener === undefined) {
    throw new ConfigError(
      ['catalog: a PostgreSQL catalog needs the @tricopy/fleet package (the tricopy CLI includes it)'],
      config.file,
    );
  }
  return postgresOpener(config.catalogUrl, { now });
}

/** Whether `value` (the config's `catalog`) names a PostgreSQL database rather than a file. */
