import type { ResultPromise } from 'execa';
import { startTricopy, type Workspace } from './cli.js';

/** Starting and stopping `tricopy serve` / `tricopy daemon --listen` for the HTTP and browser tests. */

/** Starts `tricopy ARGS` and resolves with its URL once it logs that it listens. */
export async function started(
  ws: Workspace,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ child: ResultPromise; url: string }> {
  const child = startTricopy(args, { cwd: ws.dir, env });
  let seen = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      const found = /on (http:\/\/[^\s"()]+)/.exec(seen)?.[1];
      if (found !== undefined) resolve(found.replace('0.0.0.0', '127.0.0.1'));
    });
    void child.then((r) => reject(new Error(`exited ${r.exitCode} before listening: ${r.stderr}`)));
  });
  return { child, url };
}

export async function stop(child: ResultPromise): Promise<{ code: number | undefined; stderr: string }> {
  child.kill('SIGTERM');
  const result = await child;
  return { code: result.exitCode, stderr: String(result.stderr) };
}
