import { execFileSync } from 'node:child_process';
import { chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readEnvFile } from './env-file.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tricopy-env-file-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const NOBODY = 65534;

describe('--env-file', () => {
  it('reads KEY=value lines from a 0600 file of the running user', async () => {
    const file = join(dir, 'secrets.env');
    await writeFile(file, 'DB_PASSWORD="s3cret"\n# note\nOTHER=x\n', { mode: 0o600 });
    expect(await readEnvFile(file)).toEqual({ DB_PASSWORD: 's3cret', OTHER: 'x' });
  });

  it.runIf(process.getuid?.() === 0)('refuses a 0600 file another user owns, naming the fix', async () => {
    const file = join(dir, 'secrets.env');
    await writeFile(file, 'DB_PASSWORD=planted\n', { mode: 0o600 });
    await chown(file, NOBODY, NOBODY);
    await expect(readEnvFile(file)).rejects.toThrow(
      `--env-file ${file}: belongs to uid ${NOBODY}, not to you (uid 0), so its owner could change the secrets tricopy uses: run chown 0 ${file}`,
    );
  });

  it('refuses a file others can read', async () => {
    const file = join(dir, 'secrets.env');
    await writeFile(file, 'A=b\n', { mode: 0o644 });
    await expect(readEnvFile(file)).rejects.toThrow(`run chmod 600 ${file}`);
  });

  it('refuses a FIFO or a folder without blocking, and names a missing file', async () => {
    execFileSync('mkfifo', [join(dir, 'fifo')]);
    await expect(readEnvFile(join(dir, 'fifo'))).rejects.toThrow(
      `--env-file ${join(dir, 'fifo')}: not a regular file`,
    );
    await expect(readEnvFile(dir)).rejects.toThrow(`--env-file ${dir}: not a regular file`);
    await expect(readEnvFile(join(dir, 'none'))).rejects.toThrow(`--env-file ${join(dir, 'none')}: ENOENT`);
  });
});
