// Starts webdav-server.mjs (beside this file) as a child process over a fresh temp folder. For tests only.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('./webdav-server.mjs', import.meta.url));

/** @param {{ username: string, password: string }} credentials */
export async function startWebdavServer(credentials) {
  const root = await mkdtemp(join(tmpdir(), 'tricopy-webdav-'));
  const child = spawn(process.execPath, [SCRIPT, root], {
    env: { ...process.env, WEBDAV_USER: credentials.username, WEBDAV_PASSWORD: credentials.password },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const port = await new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.once('line', (line) => resolve(JSON.parse(line).port));
    child.once('exit', (code) =>
      reject(new Error(`webdav-server exited with ${code} before listening: ${stderr}`)),
    );
  });
  return {
    port,
    root,
    url: `http://127.0.0.1:${port}/`,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      await rm(root, { recursive: true, force: true });
    },
  };
}
