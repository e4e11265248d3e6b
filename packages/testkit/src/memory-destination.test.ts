import { DestinationError, TricopyError } from '@tricopy/contract';
import { describe, expect, it } from 'vitest';
import { destinationSuite } from './destination-suite.js';
import { captureError } from './errors.js';
import { MemoryDestination } from './memory-destination.js';
import { bufferBody, readAll, sha256Hex } from './streams.js';

destinationSuite('MemoryDestination without faults', {
  create: async () => ({ destination: new MemoryDestination(), cleanup: async () => {} }),
  largeBodyBytes: 2 * 1024 * 1024,
});

const BODY = Buffer.alloc(300_000, 7);

describe('MemoryDestination faults', () => {
  it.each([
    ['ENOSPC', false],
    ['EACCES', false],
    ['ECONNRESET', true],
  ] as const)(
    'fail-after with %s: rejects with a DestinationError (retryable %s), stores nothing',
    async (code, retryable) => {
      const d = new MemoryDestination({
        faults: [{ op: 'put', fault: { kind: 'fail-after', bytes: 1000, error: code } }],
      });
      const error = await captureError(() => d.put('a/b', bufferBody(BODY)));
      expect(DestinationError.isInstance(error)).toBe(true);
      expect((error as DestinationError).retryable).toBe(retryable);
      expect(d.objects.has('a/b')).toBe(false);
      // Consumed: the next put succeeds.
      await d.put('a/b', bufferBody(BODY));
      expect(d.objects.get('a/b')?.length).toBe(BODY.length);
    },
  );

  it('fail-after raw: a plain errno-like Error, as a careless plugin would throw', async () => {
    const d = new MemoryDestination({
      faults: [{ op: 'put', fault: { kind: 'fail-after', bytes: 0, error: 'ENOSPC', raw: true } }],
    });
    const error = await captureError(() => d.put('k', bufferBody(BODY)));
    expect(TricopyError.isInstance(error)).toBe(false);
    expect((error as NodeJS.ErrnoException).code).toBe('ENOSPC');
  });

  it('corrupt and truncate store other bytes and say so honestly', async () => {
    const d = new MemoryDestination({
      faults: [
        { op: 'put', key: /^c$/, fault: { kind: 'corrupt' } },
        { op: 'put', key: /^t$/, fault: { kind: 'truncate', bytes: 10 } },
      ],
    });
    const corrupt = await d.put('c', bufferBody(BODY));
    expect(corrupt.size).toBe(BODY.length);
    expect(corrupt.sha256).not.toBe(sha256Hex(BODY));
    expect((await d.stat('c'))?.sha256).toBe(corrupt.sha256);
    expect((await d.put('t', bufferBody(BODY))).size).toBe(10);
  });

  it('stall never settles until the signal aborts', async () => {
    const d = new MemoryDestination({ faults: [{ op: 'put', fault: { kind: 'stall', after: 100 } }] });
    const abort = new AbortController();
    const put = d.put('k', bufferBody(BODY), { signal: abort.signal });
    const state = await Promise.race([
      put.then(
        () => 'settled',
        () => 'settled',
      ),
      new Promise((r) => setTimeout(() => r('pending'), 50)),
    ]);
    expect(state).toBe('pending');
    abort.abort(new Error('stop'));
    await expect(put).rejects.toThrow();
    expect(d.objects.has('k')).toBe(false);
  });

  it('omit-sha256 leaves the hash out of put and stat', async () => {
    const d = new MemoryDestination({ faults: [{ op: 'put', fault: { kind: 'omit-sha256' } }] });
    expect((await d.put('k', bufferBody(BODY))).sha256).toBeUndefined();
    expect((await d.stat('k'))?.sha256).toBeUndefined();
  });

  it('a get that fails mid-stream, and one raced by another writer', async () => {
    const d = new MemoryDestination();
    await d.put('k', bufferBody(BODY));
    d.inject({ op: 'get', fault: { kind: 'fail-after', bytes: 70_000, error: 'ECONNRESET' } });
    await expect(readAll(await d.get('k'))).rejects.toThrow(/connection reset/);
    d.inject({ op: 'get', fault: { kind: 'replace-after-read', bytes: Buffer.from('other') } });
    expect((await readAll(await d.get('k'))).length).toBe(BODY.length);
    expect((await readAll(await d.get('k'))).toString()).toBe('other');
  });

  it('faults can target manifests only', async () => {
    const d = new MemoryDestination({
      faults: [
        {
          op: 'put',
          key: /manifest\.json$/,
          times: Infinity,
          fault: { kind: 'fail-after', bytes: 0, error: 'EACCES' },
        },
      ],
    });
    await d.put('j/1/a.sql', bufferBody(BODY));
    await expect(d.put('j/1/manifest.json', bufferBody(Buffer.from('{}')))).rejects.toThrow(
      /permission denied/,
    );
    await expect(d.put('j/2/manifest.json', bufferBody(Buffer.from('{}')))).rejects.toThrow(
      /permission denied/,
    );
  });
});
