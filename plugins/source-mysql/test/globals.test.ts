import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { splitGlobalsSection } from '@tricopy/plugin-support';
import { type MariadbServer, makeTempDir, startMariadb } from '@tricopy/test-servers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAccounts } from '../src/globals.js';
import { dumpToFile, makeSource, rejection } from './helpers.js';

let server: MariadbServer;
let dir: string;
let removeDir: () => Promise<void>;

const SHOP = `
CREATE DATABASE shop;
CREATE TABLE shop.items (id INT PRIMARY KEY, name TEXT);
INSERT INTO shop.items VALUES (1, 'apple'), (2, 'pear');
CREATE USER 'shop_app'@'%' IDENTIFIED BY 'app-secret-1';
GRANT SELECT, INSERT, UPDATE, DELETE ON shop.* TO 'shop_app'@'%';
CREATE USER 'shop_reader'@'localhost' IDENTIFIED BY 'reader-secret-2';
GRANT SELECT (name) ON shop.items TO 'shop_reader'@'localhost';
CREATE USER 'shop_definer'@'localhost' IDENTIFIED BY 'definer-secret-3';
GRANT SELECT ON shop.* TO 'shop_definer'@'localhost';
CREATE DEFINER = 'shop_definer'@'localhost' SQL SECURITY DEFINER VIEW shop.item_names AS SELECT name FROM shop.items;
CREATE USER 'unrelated'@'%' IDENTIFIED BY 'x';
`;

beforeAll(async () => {
  server = await startMariadb();
  const temp = await makeTempDir('mysql-globals-test');
  dir = temp.path;
  removeDir = temp.remove;
  await server.sql(SHOP);
});

afterAll(async () => {
  await server?.stop();
  await removeDir?.();
});

describe('mysql source: globals (users and grants) with the dump', () => {
  it('stores the users the database uses and restores them with --globals, grants intact', async () => {
    const source = makeSource(server, dir, { database: 'shop', globals: true });
    const dump = await source.dump();
    expect(dump.format).toBe('mysql-sql+globals');
    const file = join(dir, 'shop.sql');
    const info = await dumpToFile(dump, file);
    const users = ["'shop_app'@'%'", "'shop_definer'@'localhost'", "'shop_reader'@'localhost'"];
    expect(info.details?.globals).toMatchObject({ users });
    const { globals } = await splitGlobalsSection(createReadStream(file), 'test');
    expect(parseAccounts(globals.toString()).map((a) => a.account.join('@'))).toEqual([
      'shop_app@%',
      'shop_definer@localhost',
      'shop_reader@localhost',
    ]); // not unrelated
    const grantsBefore = await server.sql("SHOW GRANTS FOR 'shop_reader'@'localhost'");
    const appHash = await server.sql(
      "SELECT JSON_VALUE(Priv, '$.authentication_string') FROM mysql.global_priv WHERE User = 'shop_app'",
    );

    await server.sql(
      "DROP DATABASE shop; DROP USER 'shop_app'@'%', 'shop_reader'@'localhost', 'shop_definer'@'localhost';",
    );
    await source.restore(
      createReadStream(file),
      { database: 'shop', createDatabase: true, force: true },
      { format: dump.format, globals: true },
    );
    expect(await server.sql("SHOW GRANTS FOR 'shop_reader'@'localhost'")).toBe(grantsBefore);
    expect(
      await server.sql(
        "SELECT JSON_VALUE(Priv, '$.authentication_string') FROM mysql.global_priv WHERE User = 'shop_app'",
      ),
    ).toBe(appHash);
    expect(await server.sql("SHOW GRANTS FOR 'shop_app'@'%'")).toContain(
      'GRANT SELECT, INSERT, UPDATE, DELETE ON `shop`.* TO `shop_app`@`%`',
    );
    expect(await server.sql('SELECT COUNT(*) FROM shop.item_names')).toBe('2'); // its definer exists again
  });

  it('leaves existing users alone, and restores without --globals as a plain dump', async () => {
    const source = makeSource(server, dir, { database: 'shop', globals: true });
    const dump = await source.dump();
    const file = join(dir, 'shop2.sql');
    await dumpToFile(dump, file);
    await server.sql("ALTER USER 'shop_app'@'%' WITH MAX_USER_CONNECTIONS 9");
    await source.restore(
      createReadStream(file),
      { database: 'shop', force: true },
      { format: dump.format, globals: true },
    );
    expect(await server.sql("SHOW CREATE USER 'shop_app'@'%'")).toContain('MAX_USER_CONNECTIONS 9');
    const plain = makeSource(server, dir, { database: 'shop' });
    await plain.restore(
      createReadStream(file),
      { database: 'shop_plain', createDatabase: true },
      { format: dump.format },
    );
    expect(await server.sql('SELECT COUNT(*) FROM shop_plain.items')).toBe('2');
    const tested = await source.restoreTest(createReadStream(file), { format: dump.format });
    expect(tested.find((t) => t.name.endsWith('items'))?.rows).toBe(2);
    const refused = await rejection(
      plain.restore(
        createReadStream(file),
        { database: 'shop_x', createDatabase: true },
        { format: 'mysql-sql' },
      ),
    );
    expect(refused.message).toBeTruthy();
  });
});
