/**
 * What each SSH cipher costs an SFTP upload to OpenSSH sshd over loopback: MiB/s and CPU ms per MiB of the client
 * (ssh2, as the SFTP destination uses it) and of sshd, with ssh2's optional native binding and without it (a user
 * whose install could not compile it).
 *
 *   node dist/sftp-cipher.js [--mib 256] [--rounds 5]    every cipher × binding, round-robin, medians
 *   node dist/sftp-cipher.js serve <file>                starts sshd, writes its settings to <file>, runs until killed
 *   node dist/sftp-cipher.js put <file> <cipher|default> <MiB> [--no-binding]   one upload as a whole process
 */
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import Module from 'node:module';
import { fileURLToPath } from 'node:url';
import { type SshdServer, startSshd } from '@tricopy/test-servers';
import type { ClientChannel, SFTPWrapper } from 'ssh2';
import { rootsOf, serversCpuMs } from './server-cpu.js';
import { median } from './stats.js';

const MiB = 2 ** 20;
/** The SFTP destination's write stream high-water mark (plugins/destination-sftp): concurrent write requests. */
const HIGH_WATER_MARK = MiB;
const CIPHERS = [
  'default',
  'aes128-gcm@openssh.com',
  'aes256-gcm@openssh.com',
  'chacha20-poly1305@openssh.com',
];

type Settings = Pick<SshdServer, 'host' | 'port' | 'username' | 'privateKeyPath' | 'rootDir'>;

interface PutResult {
  readonly cipher: string;
  readonly binding: boolean;
  readonly wallMs: number;
  readonly cpuMs: number;
}

/** Makes ssh2's `require` of its optional native binding fail, as on an install that could not compile it. */
function withoutBinding(): void {
  const proto = (Module as unknown as { prototype: { require(this: unknown, id: string): unknown } })
    .prototype;
  const original = proto.require;
  proto.require = function (this: unknown, id: string) {
    if (id.endsWith('sshcrypto.node')) throw new Error('ssh2 binding disabled for the benchmark');
    return original.call(this, id);
  };
}

async function put(settingsFile: string, cipher: string, mib: number, binding: boolean): Promise<PutResult> {
  if (!binding) withoutBinding();
  const { Client } = (await import('ssh2')).default;
  const settings = JSON.parse(await readFile(settingsFile, 'utf8')) as Settings;
  const privateKey = await readFile(settings.privateKeyPath);
  const client = new Client();
  const negotiated = new Promise<string>((resolve) => {
    client.once('handshake', (info) => resolve(info.cs.cipher));
  });
  await new Promise<void>((resolve, reject) => {
    client.once('ready', resolve).once('error', reject);
    client.connect({
      host: settings.host,
      port: settings.port,
      username: settings.username,
      privateKey,
      ...(cipher === 'default' ? {} : { algorithms: { cipher: [cipher as never] } }),
    });
  });
  client.setNoDelay(true);
  const sftp = await new Promise<SFTPWrapper>((resolve, reject) =>
    client.sftp((error, channel) => (error ? reject(error) : resolve(channel))),
  );
  const cpuBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  await upload(sftp, `${settings.rootDir}/cipher-bench.bin`, mib);
  const cpu = process.cpuUsage(cpuBefore);
  client.end();
  return {
    cipher: await negotiated,
    binding,
    wallMs: Number(process.hrtime.bigint() - started) / 1e6,
    cpuMs: (cpu.user + cpu.system) / 1000,
  };
}

/** Writes `mib` MiB of one random MiB repeated (a cipher's cost does not depend on the bytes) and waits for close. */
async function upload(sftp: SFTPWrapper, path: string, mib: number): Promise<void> {
  const block = Buffer.alloc(MiB);
  for (let i = 0; i < MiB; i += 4) block.writeUInt32LE((Math.random() * 2 ** 32) >>> 0, i);
  const stream = sftp.createWriteStream(path, { highWaterMark: HIGH_WATER_MARK }) as unknown as ClientChannel;
  const closed = new Promise<void>((resolve, reject) => stream.once('close', resolve).once('error', reject));
  for (let i = 0; i < mib; i++) {
    // 64 KiB chunks, as the engine's pipeline hands them over.
    for (let offset = 0; offset < MiB; offset += 65_536) {
      if (!stream.write(block.subarray(offset, offset + 65_536)))
        await new Promise((resolve) => stream.once('drain', resolve));
    }
  }
  stream.end();
  await closed;
}

function settingsOf(sshd: SshdServer): Settings {
  const { host, port, username, privateKeyPath, rootDir } = sshd;
  return { host, port, username, privateKeyPath, rootDir };
}

async function serve(settingsFile: string): Promise<void> {
  const sshd = await startSshd();
  await writeFile(settingsFile, JSON.stringify(settingsOf(sshd)));
  process.stderr.write(`sshd on ${sshd.host}:${sshd.port}; settings in ${settingsFile}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve).once('SIGINT', resolve);
  });
  await sshd.stop();
}

/** Runs one `put` as a child process and returns its result with sshd's CPU meanwhile. */
async function putChild(file: string, cipher: string, mib: number, binding: boolean, sshdPid: number) {
  const before = await serversCpuMs({ sshd: sshdPid });
  const args = [
    fileURLToPath(import.meta.url),
    'put',
    file,
    cipher,
    String(mib),
    ...(binding ? [] : ['--no-binding']),
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
  });
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  if (code !== 0) throw new Error(`put ${cipher} exited ${code}`);
  const after = await serversCpuMs({ sshd: sshdPid });
  return { ...(JSON.parse(out) as PutResult), sshdMs: (after.sshd ?? 0) - (before.sshd ?? 0) };
}

async function compare(mib: number, rounds: number): Promise<void> {
  const sshd = await startSshd();
  const file = `${sshd.rootDir}/../cipher-bench.json`;
  try {
    await writeFile(file, JSON.stringify(settingsOf(sshd)));
    const sshdPid = (await rootsOf({ sshd: sshd.port })).sshd;
    if (sshdPid === undefined) throw new Error('cannot find the sshd process');
    const runs = new Map<
      string,
      { cipher: string; mibps: number[]; clientMsPerMiB: number[]; sshdMsPerMiB: number[] }
    >();
    for (let round = 0; round < rounds; round++) {
      for (const binding of [true, false]) {
        for (const cipher of CIPHERS) {
          const r = await putChild(file, cipher, mib, binding, sshdPid);
          const key = `${cipher}${binding ? '' : ' (no binding)'}`;
          const entry = runs.get(key) ?? {
            cipher: r.cipher,
            mibps: [],
            clientMsPerMiB: [],
            sshdMsPerMiB: [],
          };
          entry.mibps.push(mib / (r.wallMs / 1000));
          entry.clientMsPerMiB.push(r.cpuMs / mib);
          entry.sshdMsPerMiB.push(r.sshdMs / mib);
          runs.set(key, entry);
        }
      }
    }
    process.stdout.write(
      `${mib} MiB per upload, median of ${rounds}; MiB/s and client CPU of the upload alone (connected to closed); sshd: the whole connection\n`,
    );
    process.stdout.write('asked | negotiated | MiB/s | client CPU ms/MiB | sshd CPU ms/MiB\n');
    for (const [key, e] of runs) {
      process.stdout.write(
        `${key} | ${e.cipher} | ${median(e.mibps).toFixed(0)} | ${median(e.clientMsPerMiB).toFixed(2)} | ${median(e.sshdMsPerMiB).toFixed(2)}\n`,
      );
    }
  } finally {
    await sshd.stop();
  }
}

function flag(args: string[], name: string, fallback: number): number {
  const at = args.indexOf(name);
  return at === -1 ? fallback : Number(args[at + 1]);
}

async function main(args: string[]): Promise<void> {
  const [mode, file, cipher, mib] = args;
  if (mode === 'serve' && file !== undefined) return serve(file);
  if (mode === 'put' && file !== undefined && cipher !== undefined) {
    const result = await put(file, cipher, Number(mib ?? 64), !args.includes('--no-binding'));
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  return compare(flag(args, '--mib', 256), flag(args, '--rounds', 5));
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`sftp-cipher: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
