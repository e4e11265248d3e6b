import { createHash } from 'node:crypto';
import { readdir, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { zstdDecompressSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeWal } from '../testing/fake-wal.js';
import { type Harness, harness, pseudoRandom } from '../testing/harness.js';
import { type Archiving, startArchiving, until } from '../testing/wal-archiving.js';
import { keepArchivingWal } from './wal-keep.js';

const SEG1 = '000000010000000000000001';
const SEG2 = '000000010000000000000002';
const SEG3 = '000000020000000000000003';
const HISTORY2 = '00000002.history';
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const segment = (seed: number) => pseudoRandom(64 * 1024, seed);

let archiving: Archiving | undefined;
let h: Harness | undefined;
afterEach(async () => {
  await archiving?.close();
  await h?.close();
  archiving = undefined;
  h = undefined;
});

async function start(
  options: Parameters<typeof startArchiving>[0],
  catchUpIntervalMs = 60_000,
  wal = new FakeWal(),
): Promise<Archiving> {
  archiving = await startArchiving(options, { catchUpIntervalMs, wal });
  return archiving;
}

const stopArchiver = () => archiving?.stop();

describe('the WAL archiver', () => {
  it('stores each complete file on every destination, records it, acknowledges the newest segment and empties the spool', async () => {
    const { wal, h, stored, spool } = await start({ destinations: { a: {}, b: {} }, compression: 'zstd' });
    await wal.write(SEG1, segment(1));
    await wal.write(SEG2, segment(2));
    await wal.write(HISTORY2, Buffer.from('1\t0/3000000\tno recovery target specified\n'));
    await wal.write(SEG3, segment(3));
    await wal.writePartial('000000020000000000000004', segment(4));
    await until(() => wal.acknowledged.includes(SEG3));
    await stopArchiver();

    // Stored several at a time: in whatever order they finish.
    expect(stored.map((result) => result.name).sort()).toEqual([SEG1, SEG2, HISTORY2, SEG3].sort());
    expect(wal.acknowledged.at(-1)).toBe(SEG3);
    for (const destination of Object.values(h.destinations)) {
      const object = destination.objects.get(`pg/wal/${SEG1}.zst`) as Buffer;
      expect(zstdDecompressSync(object).equals(segment(1))).toBe(true);
    }
    const rows = await h.session.catalog.walSegments('pg');
    expect(rows.map((row) => [row.name, row.kind, row.timeline])).toEqual([
      [SEG1, 'segment', 1],
      [SEG2, 'segment', 1],
      [HISTORY2, 'history', 2],
      [SEG3, 'segment', 2],
    ]);
    expect(rows[0]).toMatchObject({
      rawSize: 64 * 1024,
      rawSha256: sha256(segment(1)),
      sha256: sha256(h.destinations.a?.objects.get(`pg/wal/${SEG1}.zst`) as Buffer),
      compression: 'zstd',
      encrypted: false,
      key: `pg/wal/${SEG1}.zst`,
    });
    const copies = await h.session.catalog.walCopies('pg', [SEG1]);
    expect(copies.map((copy) => [copy.destination, copy.status])).toEqual([
      ['a', 'verified'],
      ['b', 'verified'],
    ]);
    expect(await readdir(spool)).toEqual(['000000020000000000000004.partial']);
  });

  it('stores a burst several files at a time, and acknowledges nothing past an older file not stored yet', async () => {
    const fault = { kind: 'fail-after' as const, bytes: 0, error: 'ECONNRESET' as const };
    const failing = { op: 'put' as const, key: new RegExp(SEG1), times: 1, fault };
    const { wal, h, stored } = await start({
      destinations: { a: { faults: [failing] }, b: { faults: [failing] } },
      compression: 'zstd',
    });
    await wal.writeBurst(new Map([SEG1, SEG2, SEG3].map((name, i) => [name, segment(i + 1)])));
    await until(() => wal.acknowledged.includes(SEG3));
    await stopArchiver();

    // SEG2 was being written before SEG1's copy was checked: not one after another.
    const log = h.destinations.a?.log ?? [];
    const secondPut = log.findIndex((line) => line.startsWith(`put pg/wal/${SEG2}`));
    const firstCheck = log.findIndex((line) => line.startsWith(`stat pg/wal/${SEG1}`));
    expect(secondPut).toBeGreaterThanOrEqual(0);
    expect(secondPut).toBeLessThan(firstCheck);
    // SEG1 failed everywhere at first: nothing was acknowledged until it was stored.
    expect(stored.find((result) => result.name === SEG1)?.stored).toBeUndefined();
    expect(wal.acknowledged).toEqual([SEG3]);
  });

  it('holds the acknowledgement while the policy does not hold, and catches the destination up from the kept artifact', async () => {
    const failing = { op: 'put' as const, key: /000000010000000000000001/, times: 3 };
    const { wal, h, caughtUp, spool } = await start(
      {
        destinations: {
          a: {},
          b: { faults: [{ ...failing, fault: { kind: 'fail-after', bytes: 0, error: 'ECONNRESET' } }] },
        },
      },
      30,
    );
    await wal.write(SEG1, segment(1));
    await until(() => caughtUp.length > 0);
    // Stored on a only; the policy wants both (neither destination is offsite): nothing acknowledged yet.
    expect(caughtUp[0]).toMatchObject({ name: SEG1, destination: 'b', ok: false });
    expect(wal.acknowledged).toEqual([]);
    expect(await readdir(spool)).toContain(SEG1);
    await until(() => wal.acknowledged.includes(SEG1));
    await stopArchiver();
    expect(h.destinations.b?.objects.get(`pg/wal/${SEG1}`)?.equals(segment(1))).toBe(true);
    const copies = await h.session.catalog.walCopies('pg', [SEG1]);
    expect(copies.map((copy) => copy.status)).toEqual(['verified', 'verified']);
    expect(h.logs.some((line) => /written again from the spool file/.test(line.message))).toBe(true);
    expect(await readdir(spool)).toEqual([]);
  });

  it('acknowledges once the policy holds, then catches a destination up from a verified copy, never from a bad one', async () => {
    const failing = { op: 'put' as const, key: /000000010000000000000001/, times: 3 };
    const { wal, h, caughtUp } = await start(
      {
        destinations: {
          a: {},
          b: { capabilities: { readBackSha256: true, storedSha256: true } },
          c: { faults: [{ ...failing, fault: { kind: 'fail-after', bytes: 0, error: 'ECONNRESET' } }] },
        },
        policy: '{ copies: 2, media: 1, offsite: 0 }',
      },
      30,
    );
    await wal.write(SEG1, segment(1));
    await until(() => caughtUp.length > 0);
    expect(wal.acknowledged).toEqual([SEG1]);
    // The local copy a, read first, rots before c is caught up.
    const key = `pg/wal/${SEG1}`;
    const rotten = Buffer.from(h.destinations.a?.objects.get(key) as Buffer);
    rotten[100] = (rotten[100] as number) ^ 0xff;
    h.destinations.a?.objects.set(key, rotten);
    await until(() => caughtUp.some((result) => result.ok));
    await stopArchiver();
    expect(h.destinations.c?.objects.get(key)?.equals(segment(1))).toBe(true);
    const copies = await h.session.catalog.walCopies('pg', [SEG1]);
    expect(copies.map((copy) => [copy.destination, copy.status])).toEqual([
      ['a', 'failed'],
      ['b', 'verified'],
      ['c', 'verified'],
    ]);
  });

  it('starts a failed receiver again, and does not store again a file it recorded before the failure', async () => {
    class FailingAck extends FakeWal {
      failAcks = 1;
      override async acknowledge(name: string): Promise<void> {
        if (this.failAcks-- > 0) throw new Error('server closed the connection');
        await super.acknowledge(name);
      }
    }
    const { wal, h, stored } = await start({ destinations: { a: {} } }, 60_000, new FailingAck());
    await wal.write(SEG1, segment(1));
    await until(() => wal.acknowledged.includes(SEG1));
    expect(wal.receives).toBe(2);
    wal.fail('replication connection lost');
    await until(() => wal.receives === 3);
    await wal.write(SEG2, segment(2));
    await until(() => wal.acknowledged.includes(SEG2));
    await stopArchiver();
    expect(stored.map((result) => result.name)).toEqual([SEG1, SEG2]);
    expect(h.destinations.a?.log.filter((op) => op === `put pg/wal/${SEG1}`)).toHaveLength(1);
    const warnings = h.logs.filter((line) => line.level === 'warn').map((line) => line.message);
    expect(warnings.some((line) => /WAL archiving stopped: server closed the connection/.test(line))).toBe(
      true,
    );
    expect(warnings.some((line) => /WAL archiving stopped: replication connection lost/.test(line))).toBe(
      true,
    );
  });

  it('asks for a segment switch when WAL has waited in a partial file longer than switchAfter', async () => {
    const wal = new FakeWal();
    wal.switchAfterMs = 1;
    await start({ destinations: { a: {} } }, 60_000, wal);
    await sleep(5);
    await wal.writePartial(SEG1, segment(1));
    await until(() => wal.switches > 0);
  });

  it('switches a segment the server wrote to before an older file was stored, not only after', async () => {
    // A burst that fills SEG1 and spills into SEG2: SEG2.partial is written before SEG1 is stored, then nothing.
    const wal = new FakeWal();
    wal.switchAfterMs = 50;
    const { stored } = await start({ destinations: { a: {} } }, 60_000, wal);
    await wal.writePartial(SEG2, segment(2));
    await wal.write(SEG1, segment(1));
    await until(() => stored.length === 1);
    await until(() => wal.switches > 0);
  });

  it('asks once for a partial file written long ago, and again only once it is written to', async () => {
    const wal = new FakeWal();
    wal.switchAfterMs = 20;
    const { spool } = await start({ destinations: { a: {} } }, 60_000, wal);
    await wal.writePartial(SEG1, segment(1));
    const longAgo = new Date(Date.now() - 60_000);
    await utimes(join(spool, `${SEG1}.partial`), longAgo, longAgo);
    await until(() => wal.switches > 0);
    await sleep(200);
    expect(wal.switches).toBe(1);
    await wal.writePartial(SEG1, segment(2));
    await until(() => wal.switches > 1);
  });

  it('refuses a job whose source archives no WAL, naming the fix', async () => {
    h = await harness({ destinations: { a: {} }, jobs: ['pg'] });
    await expect(keepArchivingWal(h.session, 'pg', { signal: new AbortController().signal })).rejects.toThrow(
      /does not archive WAL: set wal: true/,
    );
  });
});
