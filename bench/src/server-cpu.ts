import { readdir, readFile, readlink } from 'node:fs/promises';
import { childrenOf } from './proc-tree.js';

/** Linux's USER_HZ: the unit of the CPU times in /proc/<pid>/stat (100 on every architecture Linux runs here). */
const TICKS_PER_SECOND = 100;

/** The socket inodes listening on `port`, from this network namespace's /proc/net/tcp and tcp6. */
async function listeningInodes(port: number): Promise<Set<string>> {
  const inodes = new Set<string>();
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = await readFile(table, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      // local_address is HEXIP:HEXPORT; state 0A is LISTEN; the inode is the tenth field.
      if (fields[1]?.endsWith(`:${hexPort}`) && fields[3] === '0A' && fields[9] !== undefined)
        inodes.add(fields[9]);
    }
  }
  return inodes;
}

/** The process that listens on `port` (the server's root: postmaster, sshd's listener, s3rver's node). */
export async function pidListeningOn(port: number): Promise<number | undefined> {
  const inodes = await listeningInodes(port);
  if (inodes.size === 0) return undefined;
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const fds = await readdir(`/proc/${entry}/fd`).catch(() => []);
    for (const fd of fds) {
      const target = await readlink(`/proc/${entry}/fd/${fd}`).catch(() => '');
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      if (inode !== undefined && inodes.has(inode)) return Number(entry);
    }
  }
  return undefined;
}

/** utime + stime + cutime + cstime of one process, in ms (its reaped children's CPU included). */
async function processCpuMs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  // pid (comm) state ppid … : comm may hold spaces and parentheses, so count fields after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i] ?? 0), 0);
  return (ticks * 1000) / TICKS_PER_SECOND;
}

/**
 * CPU ms used so far by a server: its root process, every live descendant, and (through cutime/cstime) every
 * descendant that exited and was reaped. Two readings around a command give the server's CPU during it.
 */
export async function serverCpuMs(root: number): Promise<number> {
  const pids = [root];
  for (let i = 0; i < pids.length; i++) pids.push(...(await childrenOf(pids[i] as number)));
  const each = await Promise.all(pids.map(processCpuMs));
  return each.reduce((a, b) => a + b, 0);
}

/** Named server roots (e.g. postgres, sshd, s3rver) whose CPU a measurement adds to its own. */
export type ServerRoots = Readonly<Record<string, number>>;

export async function serversCpuMs(roots: ServerRoots): Promise<Record<string, number>> {
  const entries = await Promise.all(
    Object.entries(roots).map(async ([name, pid]) => [name, await serverCpuMs(pid)] as const),
  );
  return Object.fromEntries(entries);
}

/** Finds the listening process of each named port; a port nobody listens on is left out. */
export async function rootsOf(ports: Readonly<Record<string, number>>): Promise<ServerRoots> {
  const roots: Record<string, number> = {};
  for (const [name, port] of Object.entries(ports)) {
    const pid = await pidListeningOn(port);
    if (pid !== undefined) roots[name] = pid;
  }
  return roots;
}
