import { access, readdir } from 'node:fs/promises';
import { join } from 'node:path';

const ROOT = '/usr/lib/postgresql';

/** The bin folder of the newest PostgreSQL installed under /usr/lib/postgresql (Debian layout). */
export async function findPostgresBinDir(): Promise<string> {
  let versions: string[] = [];
  try {
    versions = (await readdir(ROOT)).filter((name) => /^\d+(\.\d+)?$/.test(name));
  } catch {
    // not installed
  }
  versions.sort((a, b) => Number(b) - Number(a));
  for (const version of versions) {
    const binDir = join(ROOT, version, 'bin');
    try {
      await access(join(binDir, 'initdb'));
      await access(join(binDir, 'pg_ctl'));
      return binDir;
    } catch {
      // incomplete install, try the next one
    }
  }
  throw new Error(
    `PostgreSQL server binaries (initdb, pg_ctl) not found under ${ROOT}/*/bin: run \`bash scripts/install-test-deps.sh\``,
  );
}
