import { afterEach, describe, expect, it } from 'vitest';
import { FakeWal } from '../testing/fake-wal.js';
import { type Harness, harness, pseudoRandom } from '../testing/harness.js';
import { until } from '../testing/wal-archiving.js';
import { runDaemon } from './daemon.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('the daemon', () => {
  it('archives the WAL of every job whose source archives it, and stops its archivers when it stops', async () => {
    const wal = new FakeWal();
    h = await harness({
      destinations: { a: {} },
      jobs: ['pg'],
      wal,
      jobYaml: '    schedule: "0 3 * * *"',
    });
    const stop = new AbortController();
    const daemon = runDaemon({ config: h.session.config, logger: h.session.logger, signal: stop.signal });
    await wal.running();
    await wal.write('000000010000000000000001', pseudoRandom(4096));
    await until(() => wal.acknowledged.length > 0);
    stop.abort();
    await daemon;
    expect(wal.acknowledged).toEqual(['000000010000000000000001']);
    const lines = h.logs.map((line) => line.message);
    expect(lines).toContain('job pg: archiving WAL');
    expect(lines.some((line) => /^job pg: WAL 000000010000000000000001 stored on a \(/.test(line))).toBe(
      true,
    );
    expect(await h.session.catalog.walSegments('pg')).toHaveLength(1);
  });
});
