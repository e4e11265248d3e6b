import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { silentLogger } from '@tricopy/contract';
import { splitGlobalsSection } from '@tricopy/plugin-support';
import { makeTempDir, type PostgresServer, startPostgres } from '@tricopy/test-servers';
import { dumpToFile, rejectionOf } from '@tricopy/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRoleStatements } from '../src/role-statements.js';
import { makeSource } from './helpers.js';

let server: PostgresServer;
let dir: string;
let removeDir: () => Promise<void>;

const SHOP = `
CREATE ROLE shop_owner LOGIN PASSWORD 'owner-secret-1';
CREATE ROLE shop_reader NOLOGIN;
CREATE ROLE "Shop Auditor" LOGIN PASSWORD 'auditor-secret-2' CONNECTION LIMIT 3;
GRANT shop_reader TO "Shop Auditor";
CREATE ROLE unrelated LOGIN;
CREATE DATABASE shop OWNER shop_owner;
`;
const SHOP_SCHEMA = `
SET ROLE shop_owner;
CREATE TABLE items (id int PRIMARY KEY, name text);
INSERT INTO items VALUES (1, 'apple'), (2, 'pear');
GRANT SELECT ON items TO shop_reader;
`;

const passwordOf = (role: string) =>
  server.sql('postgres', `SELECT rolpassword FROM pg_authid WHERE rolname = '${role}'`);

beforeAll(async () => {
  server = await startPostgres();
  const temp = await makeTempDir('pg-globals-test');
  dir = temp.path;
  removeDir = temp.remove;
  await server.sql('postgres', SHOP);
  await server.sql('shop', SHOP_SCHEMA);
});

afterAll(async () => {
  await server?.stop();
  await removeDir?.();
});

describe('postgres source: globals (roles) with the dump', () => {
  it('stores the roles the database uses, restores them with --globals: owner and grants intact', async () => {
    const source = makeSource(server, dir, { database: 'shop', globals: true });
    expect((await source.check()).notes?.some((n) => n.startsWith('globals: roles with pg_dumpall'))).toBe(
      true,
    );
    const dump = await source.dump();
    expect(dump.format).toBe('pg-custom+globals');
    const file = join(dir, 'shop.pgdump');
    const info = await dumpToFile(dump, file);
    expect(info.details?.globals).toMatchObject({ roles: ['Shop Auditor', 'shop_owner', 'shop_reader'] });
    const { globals } = await splitGlobalsSection(createReadStream(file), 'test');
    const roles = new Set(parseRoleStatements(globals.toString()).map((s) => s.role));
    expect([...roles].sort()).toEqual(['Shop Auditor', 'shop_owner', 'shop_reader']); // not unrelated
    expect(globals.toString()).toContain('SCRAM-SHA-256$'); // the password hash, as pg_dumpall gives it

    const ownerHash = await passwordOf('shop_owner');
    await server.sql(
      'postgres',
      'DROP DATABASE shop; DROP ROLE shop_owner; DROP ROLE shop_reader; DROP ROLE "Shop Auditor";',
    );

    const without = makeSource(server, dir, { database: 'shop' });
    const refused = await rejectionOf(
      without.restore(
        createReadStream(file),
        { database: 'shop_x', createDatabase: true },
        { format: 'pg-custom' },
      ),
    );
    expect(refused.message).toMatch(/pg_restore|header|damaged|input file/i); // the format says how to read it

    await source.restore(
      createReadStream(file),
      // The very database the job backs up: a restore over it needs force (it was dropped, so nothing is replaced).
      { database: 'shop', createDatabase: true, force: true },
      { format: dump.format, globals: true },
    );
    expect(await passwordOf('shop_owner')).toBe(ownerHash);
    expect(await server.sql('shop', "SELECT tableowner FROM pg_tables WHERE tablename = 'items'")).toBe(
      'shop_owner',
    );
    expect(
      await server.sql('shop', "SELECT has_table_privilege('shop_reader', 'items', 'SELECT')::text"),
    ).toBe('true');
    expect(
      await server.sql('postgres', `SELECT pg_has_role('Shop Auditor', 'shop_reader', 'MEMBER')::text`),
    ).toBe('true');
    expect(
      await server.sql('postgres', `SELECT rolconnlimit FROM pg_roles WHERE rolname = 'Shop Auditor'`),
    ).toBe('3');
    expect(await server.sql('shop', 'SELECT count(*) FROM items')).toBe('2');
  });

  it('leaves existing roles alone, and restores without --globals as a plain dump', async () => {
    const source = makeSource(server, dir, { database: 'shop', globals: true });
    const file = join(dir, 'shop2.pgdump');
    const dump = await source.dump();
    await dumpToFile(dump, file);
    await server.sql('postgres', 'ALTER ROLE shop_reader CONNECTION LIMIT 7');

    await source.restore(
      createReadStream(file),
      { database: 'shop_again', createDatabase: true },
      { format: dump.format, globals: true },
    );
    expect(
      await server.sql('postgres', `SELECT rolconnlimit FROM pg_roles WHERE rolname = 'shop_reader'`),
    ).toBe('7');
    await source.restore(
      createReadStream(file),
      { database: 'shop_plain', createDatabase: true },
      { format: dump.format },
    );
    expect(await server.sql('shop_plain', 'SELECT count(*) FROM items')).toBe('2');
    const tested = await source.restoreTest(createReadStream(file), { format: dump.format });
    expect(tested.find((t) => t.name === 'public.items')?.rows).toBe(2);
  });

  it('a backup user that may not read password hashes stores the roles without them, with a warning', async () => {
    await server.sql('postgres', "CREATE ROLE backup_reader LOGIN PASSWORD 'reader-pw-9';");
    await server.sql('shop', 'GRANT SELECT ON items TO backup_reader;');
    const warnings: string[] = [];
    const source = makeSource(
      server,
      dir,
      { database: 'shop', globals: true, user: 'backup_reader', password: 'reader-pw-9' },
      { ...silentLogger, warn: (message: string) => warnings.push(message) },
    );
    const dump = await source.dump();
    const file = join(dir, 'nohash.pgdump');
    await dumpToFile(dump, file);
    const { globals } = await splitGlobalsSection(createReadStream(file), 'test');
    expect(globals.toString()).toContain('CREATE ROLE shop_owner;');
    expect(globals.toString()).not.toContain('PASSWORD');
    expect(warnings.join('\n')).toContain('may not read password hashes');
  });

  it('a backup made without globals refuses --globals, naming why', async () => {
    const source = makeSource(server, dir, { database: 'shop' });
    const file = join(dir, 'plain.pgdump');
    const dump = await source.dump();
    await dumpToFile(dump, file);
    const refused = await rejectionOf(
      source.restore(
        createReadStream(file),
        { database: 'shop_none', createDatabase: true },
        { format: dump.format, globals: true },
      ),
    );
    expect(refused.message).toContain('holds no roles or users');
  });
});
