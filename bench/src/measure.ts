import { spawn } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { sampleTree, type TreeMemory } from './proc-tree.js';
import { type ServerRoots, serversCpuMs } from './server-cpu.js';

export interface Measured extends TreeMemory {
  readonly wallMs: number;
  /** GNU time %M: the peak RSS of the largest single process of the command (kernel rusage, exact). */
  readonly maxProcessRss: number;
  /** GNU time %U + %S: user + system CPU of the command and every descendant it waited for, ms. */
  readonly treeCpuMs: number;
  /** CPU ms each server (database, sshd, s3rver) used while the command ran: /proc readings before and after. */
  readonly serverCpuMs: Record<string, number>;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly cwd?: string;
  /** The whole environment of the command (nothing else is inherited). */
  readonly env: Record<string, string>;
  /** Folder for GNU time's output file. */
  readonly scratch: string;
  /** Servers whose CPU during the command is counted with it. */
  readonly servers?: ServerRoots;
}

let counter = 0;

/**
 * Runs `bash -c script` under GNU time, sampling the memory of its process tree, and returns wall time and memory.
 * Throws with the command's stderr when it exits non-zero: a benchmark of a failed run would be meaningless.
 */
export async function measure(label: string, script: string, options: RunOptions): Promise<Measured> {
  const timeFile = join(options.scratch, `time-${process.pid}-${counter++}.txt`);
  const serversBefore = await serversCpuMs(options.servers ?? {});
  const started = process.hrtime.bigint();
  const child = spawn(
    '/usr/bin/time',
    ['-f', '%M %U %S', '-o', timeFile, 'bash', '-c', `set -euo pipefail\n${script}`],
    { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const sampler = sampleTree(child.pid as number);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-20_000);
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (exitCode) => resolve(exitCode));
  });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  const memory = await sampler.stop();
  const serversAfter = await serversCpuMs(options.servers ?? {});
  const timeText = await readFile(timeFile, 'utf8').catch(() => '');
  await rm(timeFile, { force: true });
  if (code !== 0) {
    throw new Error(`${label} failed (exit ${code}):\n${stderr.trim().split('\n').slice(-15).join('\n')}`);
  }
  const [kib, user, system] = (timeText.trim().split('\n').at(-1) ?? '').split(' ').map(Number);
  const serverCpuMs = Object.fromEntries(
    Object.entries(serversAfter).map(([name, ms]) => [name, ms - (serversBefore[name] ?? ms)]),
  );
  return {
    ...memory,
    wallMs,
    maxProcessRss: (kib ?? 0) * 1024,
    treeCpuMs: ((user ?? 0) + (system ?? 0)) * 1000,
    serverCpuMs,
    stdout,
    stderr,
  };
}

/** Quotes a value for bash. */
export function sh(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}
