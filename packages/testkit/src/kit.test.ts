// Runs the suites against tiny in-memory implementations written here: this tests the kit, not a plugin.
import { Readable } from 'node:stream';
import {
  assertSafeKey,
  assertSafePrefix,
  type Destination,
  type Dump,
  NotFoundError,
  type ObjectInfo,
  type RestoreTarget,
  type Source,
  SourceError,
  TricopyError,
} from '@tricopy/contract';
import { describe, expect, it } from 'vitest';
import { destinationSuite } from './destination-suite.js';
import { captureError, expectCode } from './errors.js';
import { rowCountsOf, sourceSuite } from './source-suite.js';
import { failingBody, hashStream, randomBody, readAll } from './streams.js';

class MemoryDestination implements Destination {
  readonly objects = new Map<string, Buffer>();
  readonly capabilities = { readBackSha256: false };
  locate(key: string): string {
    return `memory://${key}`;
  }
  async put(key: string, body: Readable, options?: { signal?: AbortSignal }) {
    assertSafeKey(key);
    options?.signal?.throwIfAborted();
    const chunks: Buffer[] = [];
    for await (const chunk of body as AsyncIterable<Buffer>) {
      options?.signal?.throwIfAborted();
      chunks.push(chunk);
    }
    const bytes = Buffer.concat(chunks);
    this.objects.set(key, bytes);
    return { size: bytes.length, location: this.locate(key) };
  }
  async get(key: string) {
    assertSafeKey(key);
    const bytes = this.objects.get(key);
    if (!bytes) throw new NotFoundError(key, 'destination "memory"');
    return Readable.from([bytes]);
  }
  async stat(key: string): Promise<ObjectInfo | undefined> {
    assertSafeKey(key);
    const bytes = this.objects.get(key);
    return bytes ? { key, size: bytes.length } : undefined;
  }
  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    assertSafePrefix(prefix);
    for (const [key, bytes] of this.objects) if (key.startsWith(prefix)) yield { key, size: bytes.length };
  }
  async delete(key: string) {
    assertSafeKey(key);
    this.objects.delete(key);
  }
}

destinationSuite('in-memory (kit self-test)', {
  create: async () => ({ destination: new MemoryDestination(), cleanup: async () => {} }),
  largeBodyBytes: 2 * 1024 * 1024,
});

type Tables = Record<string, unknown[]>;

class MemorySource implements Source {
  readonly restoreTarget = 'database' as const;
  broken = false;
  constructor(
    readonly original: Tables,
    readonly databases: Map<string, Tables>,
  ) {}
  describe() {
    return 'memory://original';
  }
  async check() {
    return { engine: 'memory', engineVersion: '1' };
  }
  async dump(): Promise<Dump> {
    if (this.broken) throw new SourceError('source "memory": the database is gone');
    const tables = Object.entries(this.original).map(([name, rows]) => ({
      name,
      rows: rows.length,
      exact: true,
    }));
    return {
      stream: Readable.from([Buffer.from(JSON.stringify(this.original))]),
      format: 'memory-json',
      extension: 'json',
      completion: Promise.resolve({ engine: 'memory', engineVersion: '1', tables }),
    };
  }
  private async parse(input: Readable, format: string): Promise<Tables> {
    if (format !== 'memory-json') throw new SourceError(`source "memory": unknown format ${format}`);
    try {
      return JSON.parse((await readAll(input)).toString('utf8')) as Tables;
    } catch (error) {
      throw new SourceError('source "memory": the dump is not valid JSON', { cause: error });
    }
  }
  async restore(input: Readable, target: RestoreTarget, options: { format: string }) {
    const name = target.database ?? '';
    if (this.databases.has(name) && !target.force) {
      throw new SourceError(`source "memory": database ${name} exists (use force)`);
    }
    this.databases.set(name, await this.parse(input, options.format));
  }
  async restoreTest(input: Readable, options: { format: string }) {
    const tables = await this.parse(input, options.format);
    return Object.entries(tables).map(([name, rows]) => ({ name, rows: rows.length, exact: true }));
  }
}

sourceSuite('in-memory (kit self-test)', {
  create: async () => {
    const databases = new Map<string, Tables>();
    const source = new MemorySource(
      {
        artist: [
          { id: 1, name: 'AC/DC' },
          { id: 2, name: null },
        ],
        empty: [],
      },
      databases,
    );
    let next = 0;
    return {
      source,
      newRestoreTarget: async () => ({ database: `restored_${next++}` }),
      content: async (target) => (target ? databases.get(target.database ?? '') : source.original),
      breakSource: async () => {
        source.broken = true;
      },
      cleanup: async () => {},
    };
  },
});

describe('kit helpers', () => {
  it('randomBody produces exactly its size and a matching sha256', async () => {
    const body = randomBody(200_000);
    const read = await hashStream(body.stream);
    expect(read.size).toBe(200_000);
    expect(read.sha256).toBe(body.sha256());
  });

  it('failingBody fails after some bytes', async () => {
    const error = await captureError(() => hashStream(failingBody(100_000)));
    expect((error as Error).message).toContain('failed on purpose');
  });

  it('expectCode accepts the right code and refuses a wrong one or success', async () => {
    await expectCode(() => Promise.reject(new NotFoundError('k', 'here')), 'NOT_FOUND');
    const wrong = await captureError(() => expectCode(() => Promise.reject(new Error('plain')), 'NOT_FOUND'));
    expect((wrong as Error).message).toContain('expected a TricopyError with code NOT_FOUND');
    await expect(expectCode(async () => {}, 'SOURCE')).rejects.toThrow(/succeeded/);
    expect(TricopyError.hasCode(new NotFoundError('k', 'w'), 'NOT_FOUND')).toBe(true);
  });

  it('rowCountsOf understands both content shapes', () => {
    expect(rowCountsOf({ a: [1, 2], b: [] })).toEqual({ a: 2, b: 0 });
    expect(rowCountsOf({ schema: 'x', tables: { a: [1] } })).toEqual({ a: 1 });
    expect(rowCountsOf('opaque')).toBeUndefined();
  });
});

describe('testContext', () => {
  it('redacts secrets and gives distinct folders', async () => {
    const { testContext } = await import('./context.js');
    const a = testContext({ secrets: ['s3cr3t', ''] });
    const b = testContext();
    expect(a.redact('password=s3cr3t; again s3cr3t')).toBe('password=***; again ***');
    expect(a.workDir).not.toBe(b.workDir);
    expect(a.configDir).not.toBe(a.workDir);
  });
});
