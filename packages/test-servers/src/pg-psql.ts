import { join } from 'node:path';
import { execa } from 'execa';
import { pgToolEnv } from './pg-os-user.js';

export interface PsqlTarget {
  readonly binDir: string;
  readonly socketDir: string;
  readonly port: number;
}

/**
 * Runs `text` with psql as the superuser `postgres` over the trusted socket (ON_ERROR_STOP, unaligned, tuples
 * only) and returns stdout. Rejects on the first SQL error.
 */
export async function runPsql(target: PsqlTarget, database: string, text: string): Promise<string> {
  const result = await execa(
    join(target.binDir, 'psql'),
    [
      '-X',
      '-q',
      '-A',
      '-t',
      '-v',
      'ON_ERROR_STOP=1',
      '-h',
      target.socketDir,
      '-p',
      String(target.port),
      '-U',
      'postgres',
      '-d',
      database,
      '-f',
      '-',
    ],
    { input: text, env: pgToolEnv(), extendEnv: false },
  );
  return result.stdout;
}
