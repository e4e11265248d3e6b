import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { makeTempDir, type PostgresServer, startPostgres, waitForProcess } from '@tricopy/test-servers';
import { dumpToFile, rejectionOf } from '@tricopy/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NOISE_TABLE } from './fixtures.js';
import { makeSource } from './helpers.js';

let server: PostgresServer;
let other: { path: string; remove: () => Promise<void> };

beforeAll(async () => {
  server = await startPostgres({ tls: true });
  other = await makeTempDir('pg-tls-test');
  await server.createDatabase('noisy');
  await server.sql('noisy', NOISE_TABLE);
});

afterAll(async () => {
  await server?.stop();
  await other?.remove();
});

describe('postgres source over TLS', () => {
  it('verify-full: the counting session and pg_dump both use TLS, and the dump restores', async () => {
    const source = makeSource(server, other.path, {
      database: 'noisy',
      sslmode: 'verify-full',
      sslrootcert: server.caFile,
    });
    expect((await source.check()).engine).toBe('postgresql');
    const dump = await source.dump();
    await waitForProcess('pg_dump', (arg) => arg.includes("dbname='noisy'"));
    // pg_dump's process can exist a moment before its session does: wait for both sessions, then check both.
    const sessionsQuery =
      "SELECT string_agg(s.ssl::text, ',' ORDER BY s.ssl) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.application_name = 'tricopy'";
    let sessions = await server.sql('postgres', sessionsQuery);
    for (let tries = 0; tries < 100 && sessions.split(',').length < 2; tries++) {
      await sleep(50);
      sessions = await server.sql('postgres', sessionsQuery);
    }
    expect(sessions).toBe('true,true');
    const file = join(other.path, 'tls.pgdump');
    const info = await dumpToFile(dump, file);
    expect(info.tables).toEqual([{ name: 'public.noise', rows: 30, exact: true }]);
    expect(await source.restoreTest(createReadStream(file), { format: dump.format })).toEqual(info.tables);
  });

  it('verify-full with a CA that did not sign the server certificate is refused, naming sslrootcert', async () => {
    const error = await rejectionOf(
      makeSource(server, other.path, { database: 'noisy', sslmode: 'verify-full' }).check(),
    );
    expect(error.message).toMatch(
      /TLS certificate of PostgreSQL at 127\.0\.0\.1:\d+ is not trusted: .*\(check sslrootcert/,
    );
  });
});
