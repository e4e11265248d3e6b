import { readdir, readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** One process as /proc shows it. */
export interface ProcessEntry {
  readonly pid: number;
  readonly ppid: number;
  /** The kernel's short name (`/proc/PID/stat`), e.g. `pg_dump`. */
  readonly comm: string;
  /** Its command line; empty for kernel threads and zombies. */
  readonly argv: readonly string[];
}

/** Every process running now (one that exits while it is read is left out). */
export async function listProcesses(): Promise<ProcessEntry[]> {
  const pids = (await readdir('/proc')).filter((entry) => /^\d+$/.test(entry));
  const entries = await Promise.all(pids.map(readProcess));
  return entries.filter((entry) => entry !== undefined);
}

async function readProcess(pid: string): Promise<ProcessEntry | undefined> {
  try {
    const [stat, cmdline] = await Promise.all([
      readFile(`/proc/${pid}/stat`, 'utf8'),
      readFile(`/proc/${pid}/cmdline`, 'utf8'),
    ]);
    // pid (comm) state ppid …; comm may hold spaces and parentheses.
    const close = stat.lastIndexOf(')');
    return {
      pid: Number(pid),
      ppid: Number(stat.slice(close + 2).split(' ')[1]),
      comm: stat.slice(stat.indexOf('(') + 1, close),
      argv: cmdline === '' ? [] : cmdline.replace(/\0$/, '').split('\0'),
    };
  } catch {
    return undefined;
  }
}

/** Every descendant of `root` (children, their children, …), found by parent pid: a setsid() does not hide one. */
export async function descendantsOf(root: number): Promise<ProcessEntry[]> {
  const children = new Map<number, ProcessEntry[]>();
  for (const entry of await listProcesses()) {
    children.set(entry.ppid, [...(children.get(entry.ppid) ?? []), entry]);
  }
  const found: ProcessEntry[] = [];
  const queue = [root];
  for (let parent = queue.shift(); parent !== undefined; parent = queue.shift()) {
    for (const child of children.get(parent) ?? []) {
      found.push(child);
      queue.push(child.pid);
    }
  }
  return found;
}

/** Pids of the running `program` (the base name of its argv[0]) with an argument that `matches`. */
export async function findProcesses(program: string, matches: (arg: string) => boolean): Promise<number[]> {
  return (await listProcesses())
    .filter((entry) => basename(entry.argv[0] ?? '') === program && entry.argv.slice(1).some(matches))
    .map((entry) => entry.pid);
}

/** Waits (up to 30 s) for a `program` with an argument that `matches`, and returns its pid. */
export async function waitForProcess(program: string, matches: (arg: string) => boolean): Promise<number> {
  for (let attempt = 0; attempt < 600; attempt++) {
    const [pid] = await findProcesses(program, matches);
    if (pid !== undefined) return pid;
    await sleep(50);
  }
  throw new Error(`no ${program} process with a matching argument appeared`);
}
