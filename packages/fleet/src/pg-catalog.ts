import {
  type Catalog,
  type CatalogOpener,
  RECORD_TABLE_ORDER,
  SqlCatalog,
  type SqlDialect,
} from '@tricopy/core';
import { catalogOpenError } from './catalog-errors.js';
import { PgDatabase } from './pg-database.js';
import { PgJobLocks } from './pg-job-locks.js';
import { migrate } from './pg-migrate.js';
import { createPool } from './pg-pool.js';

/** Ids copied from another catalog go into identity columns as given; the identity then continues after them. */
const POSTGRES_DIALECT: SqlDialect = {
  keepIds: 'OVERRIDING SYSTEM VALUE',
  // Readers go on; workers or another copy writing meanwhile wait until the copy has committed or rolled back.
  lockRecords: `LOCK TABLE ${RECORD_TABLE_ORDER.join(', ')} IN EXCLUSIVE MODE`,
  resumeIds: (table, column) =>
    `SELECT setval(pg_get_serial_sequence('${table}', '${column}'), max(${column})) FROM ${table}`,
  // An identity column: concurrent writers each get their own number.
  nextBackupSeq: 'DEFAULT',
};

/** The catalog in a PostgreSQL database, with its job locks; the schema is created or upgraded on first use. */
class PgCatalog extends SqlCatalog {
  readonly jobLocks: PgJobLocks;

  constructor(url: string, now: () => Date) {
    const pool = createPool(url);
    let migrated: Promise<number> | undefined;
    const ready = async () => {
      migrated ??= migrate(pool).catch((error: unknown) => {
        throw catalogOpenError(url, error);
      });
      // A failed attempt is not kept: the next statement tries again (the database may have been down).
      await migrated.catch((error: unknown) => {
        migrated = undefined;
        throw error;
      });
    };
    super(new PgDatabase(pool, ready), {
      now,
      dialect: POSTGRES_DIALECT,
      schemaVersion: async () => {
        await ready();
        return (await migrated) ?? 0;
      },
    });
    this.jobLocks = new PgJobLocks(url, ready, (sql, params) => pool.query(sql, params));
  }
}

export const openPostgresCatalog: CatalogOpener = (url, options): Catalog => new PgCatalog(url, options.now);
