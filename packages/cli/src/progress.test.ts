import { PassThrough, Writable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createProgress, createReadProgress } from './progress.js';

function sink(isTTY: boolean): Writable & { isTTY: boolean; written: string } {
  const out = new Writable({
    write(chunk, _encoding, done) {
      out.written += chunk.toString();
      done();
    },
  }) as Writable & { isTTY: boolean; written: string };
  out.written = '';
  out.isTTY = isTTY;
  return out;
}

describe('read progress', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('off a terminal: a line at the start, one every interval, one at the end; the bytes pass unchanged', async () => {
    vi.useFakeTimers();
    const out = sink(false);
    const progress = createReadProgress({ json: false, quiet: false }, { out, intervalMs: 10_000 });
    const source = new PassThrough();
    const tracked = progress.track(source, 'restore X: checking the copy on primary', 2048);
    const read = text(tracked as NodeJS.ReadableStream & AsyncIterable<unknown>);
    expect(out.written).toBe('restore X: checking the copy on primary: 2.0 KiB\n');
    source.write(Buffer.alloc(1024, 'a'));
    await vi.advanceTimersByTimeAsync(10_000);
    expect(out.written).toMatch(/: 1\.0 KiB of 2\.0 KiB \(50%, .*\/s\)\n$/);
    source.end(Buffer.alloc(1024, 'b'));
    expect(await read).toBe(`${'a'.repeat(1024)}${'b'.repeat(1024)}`);
    await vi.advanceTimersByTimeAsync(0);
    expect(out.written).toMatch(/: 2\.0 KiB of 2\.0 KiB \(100%, .*\/s\) done\n$/);
    expect(out.written.split('\n')).toHaveLength(4);
    progress.stop();
  });

  it('on a terminal: a bar with the label', async () => {
    const out = sink(true);
    const progress = createReadProgress({ json: false, quiet: false }, { out });
    const source = new PassThrough();
    const read = text(
      progress.track(source, 'verify X: re-hashing', 10) as NodeJS.ReadableStream & AsyncIterable<unknown>,
    );
    source.end('0123456789');
    expect(await read).toBe('0123456789');
    progress.stop();
    expect(out.written).toContain('verify X: re-hashing');
  });

  it('backup off a terminal: a line per job start, one every interval with the bytes so far, one at the end', async () => {
    vi.useFakeTimers();
    const out = sink(false);
    const progress = createProgress({ json: false, quiet: false }, { out, intervalMs: 10_000 });
    let bytes = 0;
    progress.events.onJobStart?.({
      job: 'app',
      backupId: 'B1',
      destinations: ['primary'],
      bytes: () => bytes,
    });
    bytes = 3 * 1024 * 1024;
    await vi.advanceTimersByTimeAsync(10_000);
    progress.events.onJobDone?.({
      job: 'app',
      backupId: 'B1',
      status: 'ok',
      startedAt: '',
      finishedAt: '',
      size: bytes,
      copies: [],
      policy: { copies: 1, media: 1, offsite: 0, met: true, shortfall: '', summary: '' },
    });
    await vi.advanceTimersByTimeAsync(30_000);
    expect(out.written.split('\n')).toEqual([
      'job app: backup B1 to primary',
      expect.stringMatching(/^job app: 3\.0 MiB so far \(.*\/s\)$/),
      'job app: ok 3.0 MiB',
      '',
    ]);
    progress.stop();
  });

  it.each([
    { json: true, quiet: false },
    { json: false, quiet: true },
  ])('writes nothing with %o', async (mode) => {
    const out = sink(false);
    const progress = createReadProgress(mode, { out });
    const source = new PassThrough();
    expect(progress.track(source, 'x', 1)).toBe(source);
    progress.stop();
    expect(out.written).toBe('');
  });
});
