import { mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type S3Server, type SshdServer, startS3, startSshd } from '@tricopy/test-servers';
import { execa } from 'execa';
import { sh } from './measure.js';

/** The three throwaway destination servers both sides write to: a local folder, OpenSSH sshd (SFTP), s3rver (S3). */
export interface Destinations {
  readonly localDir: string;
  readonly sshd: SshdServer;
  readonly s3: S3Server;
  /** `/usr/bin/aws` (Debian's awscli) or the `aws` on PATH; undefined when there is none (curl is used instead). */
  readonly aws: { path: string; version: string } | undefined;
  /** Environment for the usual script's tools: AWS credentials for s3rver's built-in account. */
  readonly env: Record<string, string>;
  /** tricopy `destinations:` YAML (local, nas = SFTP, cloud = S3). */
  readonly yaml: string;
  /** The usual script: copy `file` to the three destinations one after another, marking each stage on stdout. */
  copySequentially(file: string, name: string): string;
  /** Reads each copy the usual script stored with the same tools, concurrently, discarding the bytes. */
  readCopies(name: string): string;
  /** Bytes the usual script stored under `name` on each destination (read from the servers' folders). */
  storedBytes(name: string): Promise<number[]>;
  /** Empties every destination. */
  clear(): Promise<void>;
  stop(): Promise<void>;
}

async function findAws(): Promise<{ path: string; version: string } | undefined> {
  for (const path of ['/usr/bin/aws', 'aws']) {
    const result = await execa(path, ['--version'], { reject: false });
    if (result.exitCode === 0) return { path, version: result.stdout.trim().split(' ')[0] ?? path };
  }
  return undefined;
}

async function fileSize(path: string): Promise<number> {
  return (await stat(path)).size;
}

export async function startDestinations(scratch: string): Promise<Destinations> {
  const localDir = join(scratch, 'local');
  const home = join(scratch, 'home');
  await mkdir(localDir, { recursive: true });
  await mkdir(home, { recursive: true });
  const [sshd, s3, aws] = await Promise.all([startSshd(), startS3({ bucket: 'bench' }), findAws()]);
  await mkdir(join(sshd.rootDir, 'usual'), { recursive: true });
  const ssh = [
    `-i ${sh(sshd.privateKeyPath)}`,
    `-P ${sshd.port}`,
    '-o BatchMode=yes',
    '-o StrictHostKeyChecking=no',
    '-o UserKnownHostsFile=/dev/null',
    '-o LogLevel=ERROR',
  ].join(' ');
  const sftpTarget = `${sshd.username}@${sshd.host}`;
  const env = {
    HOME: home,
    AWS_ACCESS_KEY_ID: s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
    AWS_DEFAULT_REGION: s3.region,
    AWS_CONFIG_FILE: join(home, 'aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'aws-credentials'),
    AWS_REQUEST_CHECKSUM_CALCULATION: 'when_required',
    AWS_RESPONSE_CHECKSUM_VALIDATION: 'when_required',
    AWS_PAGER: '',
  };
  const s3Url = (name: string) => `s3://${s3.bucket}/usual/${name}`;
  const s3Put = (file: string, name: string) =>
    aws === undefined
      ? `curl -sS --fail -T ${sh(file)} ${sh(`${s3.endpoint}/${s3.bucket}/usual/${name}`)}`
      : `${sh(aws.path)} s3 cp --only-show-errors --endpoint-url ${s3.endpoint} ${sh(file)} ${sh(s3Url(name))}`;
  const s3Read = (name: string) =>
    aws === undefined
      ? `curl -sS --fail ${sh(`${s3.endpoint}/${s3.bucket}/usual/${name}`)} > /dev/null`
      : `${sh(aws.path)} s3 cp --only-show-errors --endpoint-url ${s3.endpoint} ${sh(s3Url(name))} - > /dev/null`;
  const remote = (name: string) => join(sshd.rootDir, 'usual', name);

  const yaml = `destinations:
  local: { type: local, path: ${JSON.stringify(join(localDir, 'tricopy'))} }
  nas: { type: sftp, host: ${sshd.host}, port: ${sshd.port}, username: ${sshd.username}, privateKey: ${JSON.stringify(sshd.privateKeyPath)}, hostKey: "${sshd.hostKeyFingerprint}", path: ${JSON.stringify(join(sshd.rootDir, 'tricopy'))}, offsite: true }
  cloud: { type: s3, bucket: ${s3.bucket}, prefix: tricopy/, endpoint: ${s3.endpoint}, forcePathStyle: true, region: ${s3.region}, accessKeyId: ${s3.accessKeyId}, secretAccessKey: "\${AWS_SECRET_ACCESS_KEY}", media: object-storage, offsite: true }
`;

  return {
    localDir,
    sshd,
    s3,
    aws,
    env,
    yaml,
    copySequentially(file, name) {
      return [
        `cp ${sh(file)} ${sh(join(localDir, name))}`,
        'echo "mark cp $EPOCHREALTIME"',
        `echo ${sh(`put ${file} ${remote(name)}`)} | sftp -q -b - ${ssh} ${sftpTarget} > /dev/null`,
        'echo "mark sftp $EPOCHREALTIME"',
        s3Put(file, name),
        'echo "mark s3 $EPOCHREALTIME"',
      ].join('\n');
    },
    readCopies(name) {
      return [
        `cat ${sh(join(localDir, name))} > /dev/null & local=$!`,
        `echo ${sh(`get ${remote(name)} /dev/null`)} | sftp -q -b - ${ssh} ${sftpTarget} > /dev/null & nas=$!`,
        `${s3Read(name)} & cloud=$!`,
        'wait $local && wait $nas && wait $cloud',
      ].join('\n');
    },
    async storedBytes(name) {
      return Promise.all([
        fileSize(join(localDir, name)),
        fileSize(remote(name)),
        fileSize(join(s3.directory, s3.bucket, 'usual', `${name}._S3rver_object`)),
      ]);
    },
    async clear() {
      await rm(localDir, { recursive: true, force: true });
      await mkdir(localDir, { recursive: true });
      for (const dir of [join(sshd.rootDir, 'usual'), join(sshd.rootDir, 'tricopy')]) {
        await rm(dir, { recursive: true, force: true });
      }
      await mkdir(join(sshd.rootDir, 'usual'), { recursive: true });
      for (const prefix of ['usual', 'tricopy']) {
        await rm(join(s3.directory, s3.bucket, prefix), { recursive: true, force: true });
      }
    },
    async stop() {
      await Promise.allSettled([sshd.stop(), s3.stop()]);
    },
  };
}
