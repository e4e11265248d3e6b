import { createHash } from 'node:crypto';

/** The fingerprint `ssh-keygen -l` prints for a raw public key blob as sent in the SSH handshake. */
export function fingerprintOf(rawKey: Buffer): string {
  return `SHA256:${createHash('sha256').update(rawKey).digest('base64').replace(/=+$/, '')}`;
}

export function sameFingerprint(a: string, b: string): boolean {
  return a.replace(/=+$/, '') === b.replace(/=+$/, '');
}

/**
 * Connects to an SSH server only far enough to read its host key, and returns its fingerprint (SHA256:...).
 * No credentials are sent: the handshake is cut before authentication.
 */
export async function fetchHostKeyFingerprint(options: {
  host: string;
  port?: number;
  connectTimeoutMs?: number;
}): Promise<string> {
  let offered: string | undefined;
  const { default: SftpClient } = await import('ssh2-sftp-client');
  const client = new SftpClient('tricopy-host-key', { error() {}, end() {}, close() {} });
  try {
    await client.connect({
      host: options.host,
      port: options.port ?? 22,
      username: 'tricopy-host-key-probe',
      readyTimeout: options.connectTimeoutMs ?? 20_000,
      hostVerifier: (key: Buffer) => {
        offered = fingerprintOf(key);
        return false;
      },
    });
  } catch (error) {
    if (offered !== undefined) return offered;
    throw error;
  } finally {
    await client.end().catch(() => {});
  }
  if (offered !== undefined) return offered;
  throw new Error(`${options.host}:${options.port ?? 22} offered no host key`);
}
