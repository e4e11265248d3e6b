import { type ChildProcess, spawn } from 'node:child_process';
import { access, mkdir, open, readFile, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { freePort } from './ports.js';
import { descendantsOf } from './processes.js';
import { makeTempDir } from './temp-dir.js';

const SSHD = '/usr/sbin/sshd';

export interface SshdServer {
  readonly host: string;
  readonly port: number;
  readonly username: string;
  /** Client private key (ed25519, no passphrase) whose public half is authorized. */
  readonly privateKeyPath: string;
  /** The server's host key fingerprint as `ssh-keygen -l` prints it: `SHA256:...`. */
  readonly hostKeyFingerprint: string;
  /** A folder the user can write, to use as the remote root. */
  readonly rootDir: string;
  /** Server log (sshd -e output). */
  readonly logPath: string;
  /** Stops the server and removes its folder. */
  stop(): Promise<void>;
  /** SIGKILLs the server (and every session process it forked), keeping its files: a server dying mid-upload. */
  kill(): Promise<void>;
  /** Starts the server again on the same port with the same keys and files (after kill()). */
  restart(): Promise<void>;
}

async function keygen(path: string, comment: string): Promise<void> {
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', path]);
}

async function fingerprint(publicKeyPath: string): Promise<string> {
  const { stdout } = await execa('ssh-keygen', ['-l', '-E', 'sha256', '-f', publicKeyPath]);
  const match = /SHA256:[A-Za-z0-9+/]+/.exec(stdout);
  if (!match) throw new Error(`ssh-keygen -l printed no SHA256 fingerprint: ${stdout}`);
  return match[0];
}

function waitForBanner(port: number, child: ChildProcess, logPath: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  return new Promise((resolve, reject) => {
    const attempt = (): void => {
      if (child.exitCode !== null || child.signalCode !== null) {
        void readFile(logPath, 'utf8').then((log) => reject(new Error(`sshd exited early:\n${log}`)));
        return;
      }
      const socket = connect(port, '127.0.0.1');
      socket.once('data', (chunk) => {
        socket.destroy();
        if (chunk.toString('latin1').startsWith('SSH-')) resolve();
        else retry();
      });
      socket.once('error', () => {
        socket.destroy();
        retry();
      });
    };
    const retry = (): void => {
      if (Date.now() > deadline) reject(new Error(`sshd did not answer on port ${port}; see ${logPath}`));
      else setTimeout(attempt, 50);
    };
    attempt();
  });
}

/** Signals the sshd listener and every session process it forked. */
async function killTree(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const pids = [child.pid, ...(await descendantsOf(child.pid)).map((entry) => entry.pid)];
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
  await exited;
}

/**
 * A throwaway OpenSSH server on a free loopback port, in a temp dir, with its own host key and a generated client
 * key pair; the current OS user logs in with that key. Requires `/usr/sbin/sshd` (Debian `openssh-server`).
 */
export async function startSshd(): Promise<SshdServer> {
  try {
    await access(SSHD);
  } catch {
    throw new Error(`${SSHD} not found: run \`bash scripts/install-test-deps.sh\` (installs openssh-server)`);
  }
  const dir = await makeTempDir('sshd', 0o755);
  const username = userInfo().username;
  const hostKeyPath = join(dir.path, 'host_ed25519');
  const clientKeyPath = join(dir.path, 'client_ed25519');
  const rootDir = join(dir.path, 'root');
  const logPath = join(dir.path, 'sshd.log');
  const configPath = join(dir.path, 'sshd_config');
  await Promise.all([keygen(hostKeyPath, 'tricopy-test-host'), keygen(clientKeyPath, 'tricopy-test-client')]);
  await mkdir(rootDir, { mode: 0o700 });
  await writeFile(join(dir.path, 'authorized_keys'), await readFile(`${clientKeyPath}.pub`), { mode: 0o600 });
  const hostKeyFingerprint = await fingerprint(`${hostKeyPath}.pub`);
  // As root, sshd's privilege separation needs its chroot folder.
  if (process.getuid?.() === 0) await mkdir('/run/sshd', { recursive: true, mode: 0o755 });

  const port = await freePort();
  await writeFile(
    configPath,
    [
      `ListenAddress 127.0.0.1`,
      `Port ${port}`,
      `HostKey ${hostKeyPath}`,
      `PidFile ${join(dir.path, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(dir.path, 'authorized_keys')}`,
      'StrictModes no',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PubkeyAuthentication yes',
      'PermitRootLogin prohibit-password',
      'UsePAM no',
      'Subsystem sftp internal-sftp',
      'LogLevel VERBOSE',
      '',
    ].join('\n'),
  );

  let child: ChildProcess;
  const launch = async (): Promise<void> => {
    const log = await open(logPath, 'a');
    try {
      child = spawn(SSHD, ['-D', '-e', '-f', configPath], {
        stdio: ['ignore', log.fd, log.fd],
      });
    } finally {
      await log.close();
    }
    await waitForBanner(port, child, logPath);
  };
  await launch();

  return {
    host: '127.0.0.1',
    port,
    username,
    privateKeyPath: clientKeyPath,
    hostKeyFingerprint,
    rootDir,
    logPath,
    async stop() {
      await killTree(child, 'SIGTERM');
      await dir.remove();
    },
    kill: () => killTree(child, 'SIGKILL'),
    async restart() {
      await killTree(child, 'SIGKILL');
      await launch();
    },
  };
}
