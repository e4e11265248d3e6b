import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as zlib from 'node:zlib';
import {
  type Dump,
  type DumpInfo,
  type DumpOptions,
  type RestoreTarget,
  type Source,
  TricopyError,
} from '@tricopy/contract';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { captureError, expectCode } from './errors.js';
import { drain } from './streams.js';

export interface SourceUnderTest {
  /** A source over a freshly prepared database with known content. */
  source: Source;
  /** A fresh target that does not exist yet (a path or a database name). */
  newRestoreTarget: () => Promise<RestoreTarget>;
  /**
   * Comparable content of the original database (`target` undefined) or of a restored target; the suite
   * deep-equals them. When the value is `{ tables: { name: rows[] } }` or itself `{ name: rows[] }`, the suite
   * also checks the dump's table counts against the row arrays' lengths (use the names the source reports).
   */
  content: (target?: RestoreTarget) => Promise<unknown>;
  /** Optional: makes the next dump fail (e.g. removes the file, drops the database). */
  breakSource?: () => Promise<void>;
  /**
   * For a source with `query` (and so `RestoreOptions.inspect`): a statement over the known content with the text
   * it answers, and `CREATE TABLE probe (x int)`-like `write` (refused by query; run by `postRestoreSql`).
   */
  query?: { readonly sql: string; readonly value: string; readonly write: string };
  /** With `query`: the job's own target (its database or file), which a drill's restore (`notOwn`) must refuse. */
  ownTarget?: RestoreTarget;
  /** Removes the database, restored targets and anything started. Called after `source.close()`. */
  cleanup: () => Promise<void>;
}

export interface SourceSuiteOptions {
  /** Called before each test. */
  create: () => Promise<SourceUnderTest>;
  /** Per-test timeout in ms (default: the vitest config's testTimeout). */
  timeout?: number;
}

function zstdDecompressor(): Transform {
  const create = (zlib as { createZstdDecompress?: () => Transform }).createZstdDecompress;
  if (create === undefined) throw new Error('testkit: this Node has no zstd in node:zlib (22.15+ has)');
  return create();
}

interface WrittenDump {
  file: string;
  format: string;
  info: DumpInfo;
}

/**
 * Registers a `describe` block with the conformance cases every tricopy source must pass.
 * Each test gets a fresh source from `options.create()`; it is closed and cleaned up afterwards.
 */
export function sourceSuite(name: string, options: SourceSuiteOptions): void {
  const timeout = options.timeout;

  describe(`source conformance: ${name}`, () => {
    let current: SourceUnderTest | undefined;
    let scratch = '';
    const sut = (): SourceUnderTest => {
      if (!current) throw new Error('testkit: create() did not run');
      return current;
    };

    beforeEach(async () => {
      scratch = await mkdtemp(join(tmpdir(), 'tricopy-testkit-'));
      current = await options.create();
    }, timeout);

    afterEach(async () => {
      const finished = current;
      current = undefined;
      try {
        if (finished) {
          try {
            await finished.source.close?.();
          } finally {
            await finished.cleanup();
          }
        }
      } finally {
        await rm(scratch, { recursive: true, force: true });
      }
    }, timeout);

    /** Dumps the source to a file in the scratch folder, then waits for `completion`. */
    async function dumpToFile(options?: DumpOptions): Promise<WrittenDump & { compression?: 'zstd' }> {
      const dump: Dump = await sut().source.dump(options);
      expect(typeof dump.format).toBe('string');
      expect(dump.format.length).toBeGreaterThan(0);
      expect(typeof dump.extension).toBe('string');
      const file = join(scratch, `dump-${Math.random().toString(36).slice(2)}.${dump.extension}`);
      // Observe `completion` right away so a rejection before the stream ends is not reported as unhandled.
      const completion = dump.completion.then(
        (info) => ({ ok: true as const, info }),
        (error: unknown) => ({ ok: false as const, error }),
      );
      await pipeline(dump.stream, createWriteStream(file));
      const settled = await completion;
      if (!settled.ok) throw settled.error;
      return {
        file,
        format: dump.format,
        info: settled.info,
        ...(dump.compression === undefined ? {} : { compression: dump.compression }),
      };
    }

    const byName = (tables: readonly { name: string; rows: number }[] | undefined) =>
      Object.fromEntries((tables ?? []).map((table) => [table.name, table.rows]));

    it('check() reports the engine and its version', { timeout }, async () => {
      const status = await sut().source.check();
      expect(status.engine.length).toBeGreaterThan(0);
      expect(status.engineVersion.length).toBeGreaterThan(0);
      expect(sut().source.describe().length).toBeGreaterThan(0);
    });

    it('dumps: completion resolves with engine, version and table counts that match the content', {
      timeout,
    }, async () => {
      const { info } = await dumpToFile();
      expect(info.engine.length).toBeGreaterThan(0);
      expect(info.engineVersion.length).toBeGreaterThan(0);
      expect(info.tables).toBeDefined();
      expect(info.tables?.length).toBeGreaterThan(0);
      for (const table of info.tables ?? []) {
        expect(Number.isInteger(table.rows) && table.rows >= 0).toBe(true);
      }
      const expected = rowCountsOf(await sut().content());
      if (expected) expect(byName(info.tables)).toEqual(expected);
    });

    it('restores a dump into a new target with the same content', { timeout }, async () => {
      const dump = await dumpToFile();
      const target = await sut().newRestoreTarget();
      await sut().source.restore(createReadStream(dump.file), target, { format: dump.format });
      expect(await sut().content(target)).toEqual(await sut().content());
    });

    it("restores a dump made with the engine's zstd offer (compressed by the source or not)", {
      timeout,
    }, async () => {
      const dump = await dumpToFile({ compression: { codec: 'zstd', level: 3 } });
      if (dump.compression !== undefined) expect(dump.compression).toBe('zstd');
      const target = await sut().newRestoreTarget();
      const read = createReadStream(dump.file);
      // Node 22.15+; on older Node a source must not take the offer up without the engine able to read it.
      const input = dump.compression === 'zstd' ? read.pipe(zstdDecompressor()) : read;
      await sut().source.restore(input, target, { format: dump.format });
      expect(await sut().content(target)).toEqual(await sut().content());
    });

    it('refuses to restore over an existing target without force, and leaves it as it was', {
      timeout,
    }, async () => {
      const dump = await dumpToFile();
      const target = await sut().newRestoreTarget();
      await sut().source.restore(createReadStream(dump.file), target, { format: dump.format });
      const before = await sut().content(target);
      const error = await captureError(() =>
        sut().source.restore(
          createReadStream(dump.file),
          { ...target, force: false },
          { format: dump.format },
        ),
      );
      expect(TricopyError.isInstance(error)).toBe(true);
      expect(await sut().content(target)).toEqual(before);
    });

    it('restores over an existing target with force', { timeout }, async () => {
      const dump = await dumpToFile();
      const target = await sut().newRestoreTarget();
      await sut().source.restore(createReadStream(dump.file), target, { format: dump.format });
      await sut().source.restore(
        createReadStream(dump.file),
        { ...target, force: true },
        { format: dump.format },
      );
      expect(await sut().content(target)).toEqual(await sut().content());
    });

    it('restoreTest returns the same table counts as the dump', { timeout }, async () => {
      const dump = await dumpToFile();
      const counts = await sut().source.restoreTest(createReadStream(dump.file), { format: dump.format });
      expect(byName(counts)).toEqual(byName(dump.info.tables));
    });

    it('query answers the first value of the first row as text (NULL as null), read-only', {
      timeout,
    }, async (ctx) => {
      const { source, query } = sut();
      if (query === undefined || source.query === undefined) return ctx.skip('no query given');
      expect(await source.query(query.sql)).toBe(query.value);
      expect(await source.query('SELECT NULL')).toBeNull();
      const before = await sut().content();
      await expectCode(() => source.query!(query.write), 'SOURCE');
      expect(await sut().content()).toEqual(before);
    });

    it('restoreTest lets inspect query the restored data, and fails with what inspect throws', {
      timeout,
    }, async (ctx) => {
      const { query } = sut();
      if (query === undefined) return ctx.skip('no query given');
      const dump = await dumpToFile();
      const seen: (string | null)[] = [];
      await sut().source.restoreTest(createReadStream(dump.file), {
        format: dump.format,
        inspect: async (run) => {
          seen.push(await run(query.sql), await run('SELECT NULL'));
        },
      });
      expect(seen).toEqual([query.value, null]);
      const failing = sut().source.restoreTest(createReadStream(dump.file), {
        format: dump.format,
        inspect: async (run) => {
          await run(query.write);
        },
      });
      await expectCode(() => failing, 'SOURCE');
    });

    it('restore runs postRestoreSql then inspect on the target; notOwn refuses the own target even with force', {
      timeout,
    }, async (ctx) => {
      const { query, ownTarget } = sut();
      if (query === undefined || ownTarget === undefined) return ctx.skip('no query and ownTarget given');
      const dump = await dumpToFile();
      const seen: (string | null)[] = [];
      await sut().source.restore(
        createReadStream(dump.file),
        { ...(await sut().newRestoreTarget()), notOwn: true },
        {
          format: dump.format,
          postRestoreSql: [query.write, 'INSERT INTO probe VALUES (7)'],
          inspect: async (run) => {
            seen.push(await run('SELECT max(x) FROM probe'), await run(query.sql));
          },
        },
      );
      expect(seen).toEqual(['7', query.value]);
      const before = await sut().content();
      await expectCode(
        () =>
          sut().source.restore(
            createReadStream(dump.file),
            { ...ownTarget, force: true, notOwn: true },
            { format: dump.format },
          ),
        'SOURCE',
      );
      expect(await sut().content()).toEqual(before);
    });

    it('refuses a dump format it does not know', { timeout }, async () => {
      const target = await sut().newRestoreTarget();
      await expectCode(
        () =>
          sut().source.restore(Readable.from([Buffer.from('x')]), target, {
            format: 'testkit-no-such-format',
          }),
        'SOURCE',
      );
    });

    it('rejects a corrupt dump in restoreTest with a SOURCE error', { timeout }, async () => {
      const dump = await dumpToFile();
      const garbage = Readable.from([
        Buffer.from('this is not a dump of anything \u0000\u0001\u0002'.repeat(100)),
      ]);
      await expectCode(() => sut().source.restoreTest(garbage, { format: dump.format }), 'SOURCE');
    });

    it('fails with a SOURCE error when the source is broken', { timeout }, async (ctx) => {
      const breakSource = sut().breakSource;
      if (!breakSource) ctx.skip('no breakSource given');
      await breakSource!();
      await expectCode(async () => {
        const dump = await sut().source.dump();
        const completion = dump.completion.then(
          (info) => ({ ok: true as const, info }),
          (error: unknown) => ({ ok: false as const, error }),
        );
        await drain(dump.stream);
        const settled = await completion;
        if (!settled.ok) throw settled.error;
      }, 'SOURCE');
    });
  });
}

/** `{ tables: { name: rows[] } }` or `{ name: rows[] }` → `{ name: rows.length }`; otherwise undefined. */
export function rowCountsOf(content: unknown): Record<string, number> | undefined {
  const isTableMap = (value: unknown): value is Record<string, unknown[]> =>
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((rows) => Array.isArray(rows));
  const record = content as { tables?: unknown } | null;
  const tables = isTableMap(record?.tables) ? record.tables : isTableMap(content) ? content : undefined;
  if (!tables) return undefined;
  return Object.fromEntries(Object.entries(tables).map(([table, rows]) => [table, rows.length]));
}
