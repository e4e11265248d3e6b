// Cases every database source (PostgreSQL, MariaDB/MySQL) shares; the database-specific bits are passed in.
import { createReadStream } from 'node:fs';
import type { Source } from '@tricopy/contract';
import { swapNames } from '@tricopy/plugin-support';
import { expect, it } from 'vitest';
import { rejectionOf } from './plugin-helpers.js';

const HOUR_AGO = () => new Date(Date.now() - 3_600_000);

/** A database source plugin and its server under test (databases managed as the server's superuser). */
export interface DatabaseSourceUnderTest {
  /** A source whose job backs up `database`. */
  source(database: string): Source;
  /** The structure of a database (tables, views, routines, …) as the server's own dump tool prints it. */
  schemaOf(database: string): Promise<string>;
  /** The rows of every table of a database (a digest per table). */
  contentOf(database: string): Promise<unknown>;
  createDatabases(names: readonly string[]): Promise<void>;
  dropDatabases(names: readonly string[]): Promise<void>;
  /** The names of the databases that start with `prefix`. */
  databasesStartingWith(prefix: string): Promise<string[]>;
}

export interface OwnDatabaseRestore extends DatabaseSourceUnderTest {
  /** A dump of `reference`, and its format. */
  readonly file: string;
  readonly format: string;
  readonly reference: string;
}

/** Restoring into the job's own database once it is gone (a new server) needs createDatabase alone. */
export function ownDatabaseRestoreCase(setup: () => OwnDatabaseRestore): void {
  it('restores into its own database name once that database is gone (a new server) with createDatabase alone', async () => {
    const db = setup();
    // The job backs up "dr_own", which does not exist (dropped, or a new server): nothing to restore over.
    const source = db.source('dr_own');
    const restore = (target: { database: string; createDatabase?: boolean }) =>
      source.restore(createReadStream(db.file), target, { format: db.format });
    expect((await rejectionOf(restore({ database: 'dr_own' }))).message).toMatch(
      /database "dr_own" does not exist: create it first or pass createDatabase/,
    );
    await restore({ database: 'dr_own', createDatabase: true });
    expect(await db.schemaOf('dr_own')).toBe(await db.schemaOf(db.reference));
    // Now it holds data: the very-database refusal applies again.
    expect((await rejectionOf(restore({ database: 'dr_own', createDatabase: true }))).message).toMatch(
      /refusing to restore over database "dr_own", the very database this job backs up, which holds data.*force/,
    );
  });
}

export interface KilledRestores extends DatabaseSourceUnderTest {
  /** `restore --force` of a dump of `reference` into `database`, logging to `logged`. */
  forceRestore(database: string): Promise<unknown>;
  readonly logged: string[];
  readonly reference: string;
  /** Creates a database holding data of its own. */
  oldDatabase(name: string): Promise<unknown>;
  /** Holds the lock of restore run `id` as a running restore does, until the returned function is called. */
  holdRun(id: string): Promise<() => Promise<void>>;
}

/** restore --force drops the temporary databases of killed restores, never those of a running one or others. */
export function killedRestoresCase(setup: () => KilledRestores): void {
  it('a later restore drops the databases killed restores left, and says so; never a running restore’s', async () => {
    const db = setup();
    const dead = swapNames(HOUR_AGO());
    const running = swapNames();
    const notOurs = 'tricopy_restore_not_ours';
    const release = await db.holdRun(running.id);
    try {
      await db.createDatabases([dead.fresh(), dead.old(), running.fresh(), notOurs]);
      await db.oldDatabase('later');
      db.logged.length = 0;
      await db.forceRestore('later');
      expect(await db.contentOf('later')).toEqual(await db.contentOf(db.reference));
      expect((await db.databasesStartingWith('tricopy_restore_')).sort()).toEqual(
        [running.fresh(), notOurs].sort(),
      );
      expect([...db.logged].sort()).toEqual(
        [dead.fresh(), dead.old()]
          .sort()
          .map((name) =>
            expect.stringContaining(`dropped database ${name}, left by a restore that was killed`),
          ),
      );
    } finally {
      await release();
      await db.dropDatabases([running.fresh(), notOurs]);
    }
  });
}

export interface ScratchSweep extends DatabaseSourceUnderTest {
  /** The database of the job whose source sweeps. */
  readonly jobDatabase: string;
  /**
   * What a restore test killed at `created` leaves: its scratch databases, as the plugin makes them (`parts` of
   * them where a run restores each database of a dump apart), the one to connect to first.
   */
  leftByKilledRun(created: Date, parts: number): Promise<string[]>;
  /** Databases named like restore-test ones that a restore test did not create; `hourAgo` to name them. */
  notFromRestoreTests(hourAgo: Date): Promise<string[]>;
  /** Keeps a session open on `database` until the returned function is called. */
  connectTo(database: string): Promise<() => Promise<void>>;
  /** The restore-test prefix of this plugin's scratch databases. */
  readonly prefix: string;
}

/** A source's sweep drops what killed restore tests left, and nothing else. */
export function scratchSweepCases(setup: () => ScratchSweep): void {
  it('drops restore-test databases a killed restore test left, never one in use or just created', async () => {
    const db = setup();
    const old = await db.leftByKilledRun(HOUR_AGO(), 2);
    const inUse = await db.leftByKilledRun(HOUR_AGO(), 1);
    const fresh = await db.leftByKilledRun(new Date(), 1);
    const disconnect = await db.connectTo(inUse[0] as string);
    try {
      const removed = await db.source(db.jobDatabase).sweep?.({ olderThan: new Date() });
      expect([...(removed ?? [])].sort()).toEqual(
        [...old].sort().map((name) => expect.stringContaining(`restore-test database ${name} on `)),
      );
      expect((await db.databasesStartingWith(db.prefix)).sort()).toEqual([...inUse, ...fresh].sort());
    } finally {
      await disconnect();
    }
    await db.dropDatabases([...inUse, ...fresh]);
  });

  it('never drops a database a restore test did not create, however it is named', async () => {
    const db = setup();
    const names = await db.notFromRestoreTests(HOUR_AGO());
    expect(await db.source(db.jobDatabase).sweep?.({ olderThan: new Date() })).toEqual([]);
    expect((await db.databasesStartingWith(db.prefix)).sort()).toEqual([...names].sort());
    await db.dropDatabases(names);
  });
}
