import { execa } from 'execa';
import { SHAPED_RATES } from './report.js';

/**
 * The shaped network: a private network namespace (nothing in it touches the machine's own network) whose loopback
 * is rate-limited per port with `tc` HTB — the SFTP server's port at 800 Mbit/s (a NAS on the LAN), the S3 server's
 * at 200 Mbit/s (offsite over a WAN). Everything else (the database) is not shaped. netem (delay, loss) is not
 * available on every kernel, HTB is.
 */
export async function runInShapedNamespace(command: readonly string[]): Promise<void> {
  if (process.getuid?.() !== 0) {
    throw new Error('--network needs root: it creates a network namespace (ip netns) and shapes it with tc');
  }
  const name = `tricopy-bench-${process.pid}`;
  await execa('ip', ['netns', 'add', name]);
  try {
    await execa('ip', ['netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up']);
    await execa('ip', ['netns', 'exec', name, ...command], { stdio: ['ignore', 'inherit', 'inherit'] });
  } finally {
    await execa('ip', ['netns', 'delete', name], { reject: false });
  }
}

/** Inside the namespace: one HTB class per shaped server port, both directions (uploads and reads). */
export async function shapePorts(ports: { sftp: number; s3: number }): Promise<void> {
  const tc = (args: string) => execa('tc', args.split(' '));
  await tc('qdisc add dev lo root handle 1: htb r2q 1000');
  const classes: [string, number, number][] = [
    ['1:20', ports.sftp, SHAPED_RATES.sftp],
    ['1:30', ports.s3, SHAPED_RATES.s3],
  ];
  for (const [id, port, rate] of classes) {
    const mbit = `${rate / 1e6}mbit`;
    await tc(`class add dev lo parent 1: classid ${id} htb rate ${mbit} ceil ${mbit}`);
    for (const side of ['sport', 'dport']) {
      await tc(
        `filter add dev lo protocol ip parent 1: prio 1 u32 match ip ${side} ${port} 0xffff flowid ${id}`,
      );
    }
  }
}
