// A database's default character set and collation: a dump of one database has no CREATE DATABASE line, so they
// travel in the dump's details and come back on a server where the database no longer exists, and over one.
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { type MariadbServer, makeTempDir, startMariadb } from '@tricopy/test-servers';
import { dumpToFile } from '@tricopy/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSource } from './helpers.js';

let server: MariadbServer;
let dir: string;
let removeDir: () => Promise<void>;

beforeAll(async () => {
  server = await startMariadb();
  const temp = await makeTempDir('mysql-defaults-test');
  dir = temp.path;
  removeDir = temp.remove;
  await server.sql(`CREATE DATABASE plain_ascii CHARACTER SET ascii COLLATE ascii_bin;
CREATE TABLE plain_ascii.codes (code VARCHAR(8) PRIMARY KEY);
INSERT INTO plain_ascii.codes VALUES ('a'), ('B');`);
});

afterAll(async () => {
  await server?.stop();
  await removeDir?.();
});

const defaultsOf = (database: string) =>
  server.sql(
    `SELECT CONCAT(DEFAULT_CHARACTER_SET_NAME, ' ', DEFAULT_COLLATION_NAME) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '${database}'`,
  );

describe('mysql source: database default character set and collation', () => {
  it('are recorded in the details and given back on a new server and over an existing database', async () => {
    const source = makeSource(server, dir, { database: 'plain_ascii' });
    const dump = await source.dump();
    const file = join(dir, 'plain_ascii.sql');
    const info = await dumpToFile(dump, file);
    expect(info.details).toMatchObject({ characterSet: 'ascii', collation: 'ascii_bin' });
    const options = { format: dump.format, details: info.details };

    await server.sql('DROP DATABASE plain_ascii'); // as on a new server: nothing to copy the defaults from
    await source.restore(createReadStream(file), { database: 'plain_ascii', createDatabase: true }, options);
    expect(await defaultsOf('plain_ascii')).toBe('ascii ascii_bin');

    await server.sql('ALTER DATABASE plain_ascii CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci');
    await source.restore(createReadStream(file), { database: 'plain_ascii', force: true }, options);
    expect(await defaultsOf('plain_ascii')).toBe('ascii ascii_bin');
    expect(await server.sql('SELECT GROUP_CONCAT(code ORDER BY code) FROM plain_ascii.codes')).toBe('B,a');
  });

  it('a dump of several databases dropped from the server restores without force, with their defaults', async () => {
    await server.sql(`CREATE DATABASE dr_a CHARACTER SET ascii COLLATE ascii_general_ci;
CREATE DATABASE dr_b CHARACTER SET latin1 COLLATE latin1_bin;
CREATE TABLE dr_a.t (x INT); INSERT INTO dr_a.t VALUES (1);
CREATE TABLE dr_b.t (x INT); INSERT INTO dr_b.t VALUES (2);`);
    const source = makeSource(server, dir, { database: undefined, databases: ['dr_a', 'dr_b'] });
    const dump = await source.dump();
    const file = join(dir, 'several.sql');
    const info = await dumpToFile(dump, file);
    await server.sql('DROP DATABASE dr_a; DROP DATABASE dr_b;');
    await source.restore(createReadStream(file), {}, { format: dump.format, details: info.details });
    expect(await defaultsOf('dr_a')).toBe('ascii ascii_general_ci');
    expect(await defaultsOf('dr_b')).toBe('latin1 latin1_bin');
    expect(await server.sql('SELECT (SELECT x FROM dr_a.t) + (SELECT x FROM dr_b.t)')).toBe('3');
  });
});
