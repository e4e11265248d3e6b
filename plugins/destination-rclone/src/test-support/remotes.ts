import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { S3Server, SshdServer } from '@tricopy/test-servers';

/** An rclone sftp backend for the OpenSSH test server, its host key pinned through a known_hosts file. */
export async function sftpBackend(server: SshdServer, folder: string): Promise<Record<string, string>> {
  const hostKey = (await readFile(join(dirname(server.rootDir), 'host_ed25519.pub'), 'utf8')).trim();
  const knownHosts = join(folder, 'known_hosts');
  await writeFile(knownHosts, `[${server.host}]:${server.port} ${hostKey}\n`);
  return {
    type: 'sftp',
    host: server.host,
    port: String(server.port),
    user: server.username,
    key_file: server.privateKeyPath,
    known_hosts_file: knownHosts,
  };
}

/** An rclone s3 backend for the s3rver test server. */
export function s3Backend(server: S3Server): Record<string, string> {
  return {
    type: 's3',
    provider: 'Other',
    endpoint: server.endpoint,
    region: server.region,
    access_key_id: server.accessKeyId,
    secret_access_key: server.secretAccessKey,
    force_path_style: 'true',
  };
}
