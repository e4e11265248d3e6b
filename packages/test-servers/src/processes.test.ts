import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { descendantsOf, findProcesses, listProcesses, waitForProcess } from './processes.js';

const started: number[] = [];
afterEach(() => {
  for (const pid of started.splice(0)) process.kill(pid, 'SIGKILL');
});

/** A `sh` that starts a `sleep` with a unique argument, so the test finds only its own processes. */
function shellWithSleep(marker: string): number {
  const child = spawn('/bin/sh', ['-c', `sleep ${marker} & wait`], { stdio: 'ignore' });
  started.push(child.pid as number);
  return child.pid as number;
}

describe('processes', () => {
  it('lists this process with its parent and command line', async () => {
    const self = (await listProcesses()).find((entry) => entry.pid === process.pid);
    expect(self?.ppid).toBe(process.ppid);
    expect(self?.argv.length).toBeGreaterThan(0);
  });

  it('finds a program by its argument, waits for it, and sees it among its parent shell descendants', async () => {
    const marker = `${1000 + Math.floor(Math.random() * 1000)}.${process.pid}`;
    const shell = shellWithSleep(marker);
    const pid = await waitForProcess('sleep', (arg) => arg === marker);
    started.push(pid);
    expect(await findProcesses('sleep', (arg) => arg === marker)).toEqual([pid]);
    expect(await findProcesses('sleep', (arg) => arg === `${marker}0`)).toEqual([]);
    const below = await descendantsOf(shell);
    expect(below.map((entry) => [entry.pid, entry.comm])).toContainEqual([pid, 'sleep']);
  });
});
