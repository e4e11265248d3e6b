import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { type PluginContext, silentLogger, TricopyError } from '@tricopy/contract';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readPasswordOption, redactorWith } from './password.js';
import { collectTail, firstErrorLine } from './stderr-tail.js';

let dir: string;
let context: PluginContext;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tricopy-support-'));
  context = {
    name: 'db',
    configDir: dir,
    workDir: dir,
    logger: silentLogger,
    redact: (t) => t.replaceAll('engine-secret', '***'),
  };
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('readPasswordOption', () => {
  it('prefers passwordFile, relative to the config folder, first line only', async () => {
    await writeFile(join(dir, 'pw'), 'from-file\nignored\n');
    expect(await readPasswordOption({ password: 'inline', passwordFile: 'pw' }, context)).toBe('from-file');
    expect(await readPasswordOption({ password: 'inline' }, context)).toBe('inline');
  });

  it('names the file and what to check when it cannot be read', async () => {
    const error = await readPasswordOption({ passwordFile: 'missing' }, context).catch((e: unknown) => e);
    expect(TricopyError.hasCode(error, 'SOURCE')).toBe(true);
    expect((error as Error).message).toBe(
      `source "db": cannot read passwordFile ${join(dir, 'missing')}: ENOENT (check the path and its permissions)`,
    );
  });
});

describe('redactorWith', () => {
  it('redacts the engine secrets and the plugin password', () => {
    expect(redactorWith(context, 'pw123')('engine-secret pw123 ok')).toBe('*** *** ok');
    expect(redactorWith(context, '')('engine-secret ok')).toBe('*** ok');
  });
});

describe('stderr tail', () => {
  it('keeps a bounded tail and finds the first error line', async () => {
    const stream = Readable.from([
      'line 1\n',
      `${'x'.repeat(500)}\n`,
      'pg_dump: error: connection refused\n',
      'last\n',
    ]);
    const tail = collectTail(stream, 100);
    await new Promise((resolve) => stream.on('end', resolve));
    expect(tail().length).toBeLessThanOrEqual(101);
    expect(firstErrorLine(tail())).toBe('pg_dump: error: connection refused');
  });
});
