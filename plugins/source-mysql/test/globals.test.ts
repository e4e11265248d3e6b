import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { SourceError } from '@tricopy/contract';
import { splitGlobalsSection } from '@tricopy/plugin-support';
import { type MariadbServer, makeTempDir, startMariadb } from '@tricopy/test-servers';
import { dumpToFile, rejectionOf } from '@tricopy/testkit';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAccounts } from '../src/globals.js';
import { lineLogger, makeSource } from './helpers.js';

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
    const refused = await rejectionOf(
      plain.restore(
        createReadStream(file),
        { database: 'shop_x', createDatabase: true },
        { format: 'mysql-sql' },
      ),
    );
    expect(refused.message).toBeTruthy();
  });
});

const ROLES = `
CREATE DATABASE crm;
CREATE TABLE crm.leads (id INT PRIMARY KEY, name TEXT);
INSERT INTO crm.leads VALUES (1, 'ada');
CREATE ROLE crm_read;
GRANT SELECT ON crm.leads TO crm_read;
CREATE ROLE crm_rw;
GRANT INSERT, UPDATE ON crm.* TO crm_rw;
GRANT crm_read TO crm_rw;
CREATE ROLE crm_audit;
GRANT PROCESS ON *.* TO crm_audit;
CREATE ROLE \`crm lead's\`;
GRANT DELETE ON crm.leads TO \`crm lead's\`;
CREATE USER 'crm_app'@'%' IDENTIFIED BY 'crm-secret-1';
GRANT crm_rw TO 'crm_app'@'%';
GRANT crm_audit TO 'crm_app'@'%' WITH ADMIN OPTION;
SET DEFAULT ROLE crm_rw FOR 'crm_app'@'%';
CREATE USER 'crm_cleaner'@'localhost' IDENTIFIED BY 'crm-secret-2';
GRANT \`crm lead's\` TO 'crm_cleaner'@'localhost';
CREATE ROLE crm_outer;
GRANT crm_read TO crm_outer;
CREATE USER 'crm_viewer'@'%' IDENTIFIED BY 'crm-secret-3';
GRANT crm_outer TO 'crm_viewer'@'%';
CREATE ROLE other_role;
GRANT SELECT ON shop.* TO other_role;
CREATE USER 'other_user'@'%' IDENTIFIED BY 'x';
GRANT other_role TO 'other_user'@'%';
`;

const CRM_ACCOUNTS =
  "DROP USER 'crm_app'@'%', 'crm_cleaner'@'localhost', 'crm_viewer'@'%'; DROP ROLE crm_read, crm_rw, crm_audit, crm_outer, `crm lead's`;";

async function asCrmApp(server: MariadbServer) {
  return mysql.createConnection({
    host: server.host,
    port: server.port,
    user: 'crm_app',
    password: 'crm-secret-1',
    database: 'crm',
  });
}

describe('mysql source: MariaDB roles with the users', () => {
  beforeAll(async () => {
    await server.sql(ROLES);
  });

  it('stores the roles the database and its users need, and restores them before the users', async () => {
    const source = makeSource(server, dir, { database: 'crm', globals: true });
    const dump = await source.dump();
    const file = join(dir, 'crm.sql');
    const info = await dumpToFile(dump, file);
    expect(info.details?.globals).toMatchObject({
      users: ["'crm_app'@'%'", "'crm_cleaner'@'localhost'", "'crm_viewer'@'%'"],
      roles: ["crm lead's", 'crm_audit', 'crm_outer', 'crm_read', 'crm_rw'],
    }); // crm_viewer through crm_outer, which holds crm_read; not other_role nor other_user (shop), nor root who created every role
    const { globals } = await splitGlobalsSection(createReadStream(file), 'test');
    expect(globals.toString()).not.toContain('GRANT SELECT ON `shop`');
    const entries = parseAccounts(globals.toString());

    expect(entries.find((entry) => entry.account[0] === 'crm_rw')).toEqual({
      role: true,
      account: ['crm_rw', ''],
      statements: [
        'CREATE ROLE `crm_rw`',
        'GRANT `crm_read` TO `crm_rw`',
        'GRANT USAGE ON *.* TO `crm_rw`',
        'GRANT INSERT, UPDATE ON `crm`.* TO `crm_rw`',
      ],
    }); // not crm_read's own grants, which SHOW GRANTS FOR crm_rw lists too
    expect(entries.find((entry) => entry.account[0] === 'crm_app')?.statements).toEqual(
      expect.arrayContaining([
        'GRANT `crm_rw` TO `crm_app`@`%`',
        'GRANT `crm_audit` TO `crm_app`@`%` WITH ADMIN OPTION',
        'SET DEFAULT ROLE `crm_rw` FOR `crm_app`@`%`',
      ]),
    );
    const grants = async () =>
      Promise.all(
        [
          "'crm_app'@'%'",
          "'crm_cleaner'@'localhost'",
          "'crm_viewer'@'%'",
          'crm_read',
          'crm_rw',
          'crm_audit',
          'crm_outer',
          "`crm lead's`",
        ].map((who) => server.sql(`SHOW GRANTS FOR ${who}`)),
      );
    const before = await grants();

    await server.sql(`DROP DATABASE crm; ${CRM_ACCOUNTS}`);
    await source.restore(
      createReadStream(file),
      { database: 'crm', createDatabase: true, force: true },
      { format: dump.format, globals: true },
    );
    expect(await grants()).toEqual(before);
    expect(await server.sql("SELECT default_role FROM mysql.user WHERE User = 'crm_app'")).toBe('crm_rw');
    const app = await asCrmApp(server);
    try {
      await app.query("INSERT INTO leads VALUES (2, 'grace')");
      const [rows] = await app.query('SELECT name FROM leads ORDER BY id');
      expect(rows).toEqual([{ name: 'ada' }, { name: 'grace' }]);
    } finally {
      await app.end();
    }
  });

  it('leaves existing roles alone and lists them', async () => {
    const source = makeSource(server, dir, { database: 'crm', globals: true });
    const dump = await source.dump();
    const file = join(dir, 'crm2.sql');
    await dumpToFile(dump, file);
    await server.sql("DROP USER 'crm_app'@'%'; REVOKE INSERT ON crm.* FROM crm_rw;");
    const lines: string[] = [];
    const logged = makeSource(
      server,
      dir,
      { database: 'crm', globals: true },
      lineLogger((line) => lines.push(line)),
    );
    await logged.restore(
      createReadStream(file),
      { database: 'crm', force: true },
      { format: dump.format, globals: true },
    );
    expect(lines.join('\n')).toContain(
      "users and roles created: 'crm_app'@'%'; left alone (they exist): crm lead's, crm_audit, crm_outer, crm_read, crm_rw, 'crm_cleaner'@'localhost', 'crm_viewer'@'%'",
    );
    expect(await server.sql('SHOW GRANTS FOR crm_rw')).not.toContain('INSERT');
    expect(await server.sql("SHOW GRANTS FOR 'crm_app'@'%'")).toContain('SET DEFAULT ROLE `crm_rw`');
  });

  it('says what to grant when the restoring user may not grant an existing role', async () => {
    await server.sql(`
CREATE ROLE crm_locked;
GRANT SELECT ON crm.* TO crm_locked;
CREATE USER 'crm_temp'@'%' IDENTIFIED BY 'crm-secret-4';
GRANT crm_locked TO 'crm_temp'@'%';
`); // created by root: the test's user has no ADMIN OPTION on crm_locked
    const source = makeSource(server, dir, { database: 'crm', globals: true });
    const dump = await source.dump();
    const file = join(dir, 'crm3.sql');
    await dumpToFile(dump, file);
    await server.sql("DROP USER 'crm_temp'@'%'");
    const refused = await rejectionOf(
      source.restore(
        createReadStream(file),
        { database: 'crm', force: true },
        { format: dump.format, globals: true },
      ),
    );
    expect(refused).toBeInstanceOf(SourceError);
    expect(refused.message).toContain("recreating account 'crm_temp'@'%' failed: Access denied");
    expect(refused.message).toContain(
      'granting the existing role `crm_locked` needs its ADMIN OPTION: GRANT `crm_locked` TO the restoring user WITH ADMIN OPTION',
    );
    expect(refused.message).not.toContain('crm-secret-4');
    await server.sql("DROP USER IF EXISTS 'crm_temp'@'%'; DROP ROLE crm_locked;");
  });
});
