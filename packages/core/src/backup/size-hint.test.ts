import { afterEach, describe, expect, it } from 'vitest';
import { runBackups } from '../schedule/run-backups.js';
import { type Harness, harness } from '../testing/harness.js';

let h: Harness | undefined;

/** The hints the artifacts' puts were given (the manifest's put has none). */
const artifactHints = (t: Harness) =>
  t.destinations.cloud?.sizeHints.filter((put) => put.key.endsWith('.bin')).map((put) => put.sizeHint);
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function backupOnce(t: Harness): Promise<number> {
  const report = await runBackups(t.session, ['app']);
  expect(report.runs[0]?.status).toBe('ok');
  return (await t.session.catalog.getBackup(report.runs[0]?.backupId as string))?.size as number;
}

describe("the size hint a destination's put is given", () => {
  it("is the source's estimate on a job's first backup, then the job's last backup size", async () => {
    h = await harness({ destinations: { cloud: {} }, sourceSizeHint: 7 * 1024 ** 3 });
    const first = await backupOnce(h);
    await backupOnce(h);
    expect(artifactHints(h)).toEqual([7 * 1024 ** 3, first]);
  });

  it.each([
    ['no estimate', undefined],
    ['a negative one', -5],
    ['a fraction', 1.5],
    ['a string', '1000'],
  ])('is none on a first backup whose source gives %s', async (_what, hint) => {
    h = await harness({ destinations: { cloud: {} }, sourceSizeHint: hint });
    await backupOnce(h);
    expect(artifactHints(h)).toEqual([undefined]);
  });
});
