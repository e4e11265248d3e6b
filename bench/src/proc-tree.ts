import { readdir, readFile } from 'node:fs/promises';

const KIB = 1024;

interface ProcInfo {
  readonly pid: number;
  readonly name: string;
  /** Resident set now, bytes. */
  readonly rss: number;
  /** Peak resident set of this process so far (VmHWM), bytes. */
  readonly hwm: number;
}

async function readProc(pid: number): Promise<ProcInfo | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const field = (name: string): string | undefined =>
      new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(status)?.[1]?.trim();
    const kib = (name: string): number => Number.parseInt(field(name) ?? '0', 10) * KIB;
    return {
      pid,
      name: field('Name') ?? '?',
      rss: kib('VmRSS'),
      hwm: kib('VmHWM'),
    };
  } catch {
    return undefined; // exited while we looked
  }
}

export async function childrenOf(pid: number): Promise<number[]> {
  try {
    const found: number[] = [];
    // A child is listed under the thread that forked it.
    for (const task of await readdir(`/proc/${pid}/task`)) {
      const text = await readFile(`/proc/${pid}/task/${task}/children`, 'utf8').catch(() => '');
      for (const child of text.split(' ')) if (child.trim() !== '') found.push(Number(child));
    }
    return found;
  } catch {
    return []; // exited while we looked
  }
}

/** The process `root` and all its descendants, as /proc shows them now. */
async function tree(root: number): Promise<ProcInfo[]> {
  const pids = [root];
  for (let i = 0; i < pids.length; i++) pids.push(...(await childrenOf(pids[i]!)));
  const infos = await Promise.all(pids.map(readProc));
  return infos.filter((info): info is ProcInfo => info !== undefined);
}

export interface TreeMemory {
  /** Largest sum of the resident sets of every process in the tree at one sample (sampled, so a lower bound). */
  readonly peakTreeRss: number;
  /** Largest VmHWM seen per process name (e.g. node, pg_dump, gzip, sftp, aws). */
  readonly peakByName: Record<string, number>;
}

/**
 * Samples the memory of a process tree every `intervalMs` until stopped. VmHWM is the kernel's own peak per process,
 * so the per-process peaks miss at most the last interval of a process's life; the tree sum is sampled.
 */
export function sampleTree(root: number, intervalMs = 50): { stop(): Promise<TreeMemory> } {
  let peakTreeRss = 0;
  const peakByName: Record<string, number> = {};
  let running = true;
  const loop = (async () => {
    while (running) {
      const procs = await tree(root);
      let sum = 0;
      for (const p of procs) {
        // GNU time wraps every measured command; it is measurement overhead, not part of either side.
        if (p.name === 'time') continue;
        sum += p.rss;
        peakByName[p.name] = Math.max(peakByName[p.name] ?? 0, p.hwm);
      }
      peakTreeRss = Math.max(peakTreeRss, sum);
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { peakTreeRss, peakByName };
    },
  };
}
