import { access, readFile } from 'node:fs/promises';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { startPostgres } from './postgres.js';
import { isRunning as alive } from './process-exit.js';

describe('startPostgres', () => {
  it('runs a server that wants the password over TCP, and stop() removes it (twice is fine)', {
    timeout: 60_000,
  }, async () => {
    const server = await startPostgres();
    const pid = Number((await readFile(`${server.dataDir}/postmaster.pid`, 'utf8')).split('\n')[0]);
    try {
      expect(await server.sql('postgres', 'SELECT 1 + 1')).toBe('2');
      const tcp = (password: string) =>
        execa(
          `${server.binDir}/psql`,
          [
            '-X',
            '-At',
            '-w',
            '-h',
            server.host,
            '-p',
            String(server.port),
            '-U',
            server.user,
            '-d',
            'postgres',
            '-c',
            'SELECT 1',
          ],
          {
            env: { PATH: process.env.PATH ?? '', PGPASSWORD: password },
            extendEnv: false,
            reject: false,
          },
        );
      expect((await tcp(server.password)).stdout).toBe('1');
      expect((await tcp('wrong')).stderr).toContain('password authentication failed');
      await server.createDatabase('Mixed "Name"');
      expect(await server.sql('Mixed "Name"', 'SELECT current_database()')).toBe('Mixed "Name"');
    } finally {
      await server.stop();
      await server.stop();
    }
    expect(await alive(pid)).toBe(false);
    await expect(access(server.dataDir)).rejects.toThrow();
  });
});
