import { chown, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import pg from 'pg';

const OS_USER = 'postgres';
const asRoot = process.getuid?.() === 0;
const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' };

/** Runs `file` as the PostgreSQL OS user (postgres refuses root), else as this user. */
export function asPostgresUser(file: string, args: readonly string[], options: { input?: string } = {}) {
  return asRoot
    ? execa('runuser', ['-u', OS_USER, '--', file, ...args], { env, extendEnv: false, ...options })
    : execa(file, args, { env, extendEnv: false, ...options });
}

/** Gives `paths` (recursively) to the PostgreSQL OS user when running as root. */
export async function giveToPostgres(...paths: string[]): Promise<void> {
  if (!asRoot) return;
  for (const path of paths) await execa('chown', ['-R', `${OS_USER}:`, path]);
}

export async function chownToPostgres(path: string): Promise<void> {
  if (!asRoot) return;
  const uid = Number((await execa('id', ['-u', OS_USER])).stdout);
  const gid = Number((await execa('id', ['-g', OS_USER])).stdout);
  await chown(path, uid, gid);
}

export interface RestoredCluster {
  sql(database: string, text: string): Promise<string>;
  log(): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Starts a restored data directory as an administrator would (pg_ctl as the data directory's owner), on a Unix
 * socket only in `socketDir`.
 */
export async function startRestored(
  binDir: string,
  dataDir: string,
  socketDir: string,
): Promise<RestoredCluster> {
  const logFile = join(socketDir, 'server.log');
  const port = '5432';
  await asPostgresUser(join(binDir, 'pg_ctl'), [
    '-D',
    dataDir,
    '-l',
    logFile,
    '-w',
    '-t',
    '120',
    '-o',
    `-c listen_addresses='' -p ${port} -k ${socketDir} -c archive_mode=off`,
    'start',
  ]).catch(async (error: unknown) => {
    throw new Error(`${String(error)}\n${await readFile(logFile, 'utf8').catch(() => '')}`);
  });
  return {
    sql: async (database, text) => {
      const client = new pg.Client({ host: socketDir, port: Number(port), user: 'postgres', database });
      await client.connect();
      try {
        const result = await client.query({ text, rowMode: 'array' });
        return result.rows.map((row: unknown[]) => row.join('|')).join('\n');
      } finally {
        await client.end();
      }
    },
    log: () => readFile(logFile, 'utf8'),
    stop: async () => {
      await asPostgresUser(join(binDir, 'pg_ctl'), ['-D', dataDir, '-m', 'immediate', '-w', 'stop']).catch(
        () => {},
      );
    },
  };
}
