import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { type MariadbServer, makeTempDir, startMariadb } from '@tricopy/test-servers';
import { dumpToFile, rejectionOf } from '@tricopy/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRICKY_SCHEMA } from './fixtures.js';
import { makeSource } from './helpers.js';

const PASSWORD = 'tls-only-secret';
let server: MariadbServer;
let temp: { path: string; remove: () => Promise<void> };

beforeAll(async () => {
  server = await startMariadb({ tls: true });
  temp = await makeTempDir('mysql-tls-test');
  await server.sql('CREATE DATABASE tricky CHARACTER SET utf8mb4');
  await server.sql(TRICKY_SCHEMA, 'tricky');
  // REQUIRE SSL: any connection of this user without TLS is refused, so a working run proves TLS everywhere.
  await server.sql(
    `CREATE USER 'secure'@'127.0.0.1' IDENTIFIED BY '${PASSWORD}' REQUIRE SSL;
     GRANT ALL PRIVILEGES ON *.* TO 'secure'@'127.0.0.1';`,
  );
});

afterAll(async () => {
  await server?.stop();
  await temp?.remove();
});

const source = (overrides: Record<string, unknown>) =>
  makeSource(server, temp.path, { database: 'tricky', user: 'secure', password: PASSWORD, ...overrides });

describe('mysql source over TLS', () => {
  it('verify-full: check, dump (mariadb-dump) and restore test (mariadb client) all connect with TLS', async () => {
    const tls = source({ tls: 'verify-full', tlsCa: server.caFile });
    expect((await tls.check()).engine).toBe('mariadb');
    const dump = await tls.dump();
    const file = join(temp.path, 'tls.sql');
    const info = await dumpToFile(dump, file);
    expect(info.tables?.find((table) => table.name === 'child')?.rows).toBe(500);
    expect(await tls.restoreTest(createReadStream(file), { format: dump.format })).toEqual(info.tables);
  });

  it('tls: off is refused by a user that requires TLS', async () => {
    const error = await rejectionOf(source({ tls: 'off' }).check());
    expect(error.message).toMatch(/denied access to user "secure"/);
  });

  it('verify-full without the right CA is refused, naming tlsCa', async () => {
    const error = await rejectionOf(source({ tls: 'verify-full' }).check());
    expect(error.message).toMatch(
      /TLS certificate of MySQL\/MariaDB at 127\.0\.0\.1:\d+ is not trusted: .*\(check tlsCa/,
    );
  });
});
