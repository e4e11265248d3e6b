import { access } from 'node:fs/promises';
import { dirname } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { startMariadb } from './mariadb.js';

describe('startMariadb', () => {
  it('runs a server with a password-protected TCP user, and stop() removes it (twice is fine)', {
    timeout: 60_000,
  }, async () => {
    const server = await startMariadb();
    try {
      expect(await server.sql('SELECT 1 + 1')).toBe('2');
      const tcp = (password: string) =>
        execa(
          'mariadb',
          [
            '--no-defaults',
            '-h',
            server.host,
            '-P',
            String(server.port),
            '-u',
            server.user,
            '-N',
            '-e',
            'SELECT CURRENT_USER()',
          ],
          {
            env: { PATH: process.env.PATH ?? '', MYSQL_PWD: password },
            extendEnv: false,
            reject: false,
          },
        );
      expect((await tcp(server.password)).stdout).toBe('tricopy@127.0.0.1');
      expect((await tcp('wrong')).stderr).toContain('Access denied');
      expect(await server.sql("SELECT '漢字 🚀'")).toBe('漢字 🚀');
    } finally {
      await server.stop();
      await server.stop();
    }
    await expect(access(dirname(server.socket))).rejects.toThrow();
  });

  it('kill() crashes mariadbd and restart() brings it back on the same port with its data', {
    timeout: 60_000,
  }, async () => {
    const server = await startMariadb();
    try {
      // The server trades durability for speed (innodb-flush-log-at-trx-commit=0); a crash test asks for it back.
      await server.sql('SET GLOBAL innodb_flush_log_at_trx_commit = 1');
      await server.sql('CREATE DATABASE kept; CREATE TABLE kept.t (x int); INSERT INTO kept.t VALUES (7);');
      await server.kill();
      await expect(server.sql('SELECT 1')).rejects.toThrow();
      await server.restart();
      expect(await server.sql('SELECT x FROM kept.t')).toBe('7');
    } finally {
      await server.stop();
    }
    await expect(access(dirname(server.socket))).rejects.toThrow();
  });
});
