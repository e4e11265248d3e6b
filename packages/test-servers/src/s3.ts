import { type ChildProcess, fork } from 'node:child_process';
import { mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './ports.js';
import { makeTempDir } from './temp-dir.js';

export interface S3Server {
  /** `http://127.0.0.1:PORT`; use with `forcePathStyle: true`. */
  readonly endpoint: string;
  readonly region: string;
  /** s3rver's built-in account; a different access key id is refused (the secret is not checked). */
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** A bucket that exists. */
  readonly bucket: string;
  /** s3rver's data folder: `<directory>/<bucket>/<key>._S3rver_object`, parts in `<bucket>/._S3rver_uploads/`. */
  readonly directory: string;
  /** Request log of the s3rver process. */
  readonly logPath: string;
  createBucket(name: string): Promise<void>;
  /** Stops the server and removes its folder. */
  stop(): Promise<void>;
  /** SIGKILLs the server process, keeping its files: a server dying mid-upload. */
  kill(): Promise<void>;
  /** Starts the server again on the same port and folder (after kill()). */
  restart(): Promise<void>;
}

const CHILD = fileURLToPath(new URL('./s3-child.js', import.meta.url));

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * s3rver 3.7 in a child process (`node --openssl-legacy-provider`: its list continuation tokens use DES) on a free
 * loopback port, in a temp folder, with one bucket. The child also implements AbortMultipartUpload, which s3rver lacks.
 */
export async function startS3(
  options: {
    bucket?: string;
    /** false: answer object tagging requests with 501 NotImplemented, as some S3-compatible stores do. */
    tagging?: boolean;
    /** false: answer ListMultipartUploads with 501 NotImplemented, as stock s3rver 3.7 does. */
    multipartListing?: boolean;
  } = {},
): Promise<S3Server> {
  const dir = await makeTempDir('s3');
  const directory = join(dir.path, 'data');
  const logPath = join(dir.path, 's3rver.log');
  await mkdir(directory);
  const bucket = options.bucket ?? 'tricopy-test';
  const port = await freePort();

  let child: ChildProcess;
  const launch = async (): Promise<void> => {
    const log = await open(logPath, 'a');
    try {
      const args = [
        directory,
        String(port),
        bucket,
        ...(options.tagging === false ? ['no-tagging'] : []),
        ...(options.multipartListing === false ? ['no-multipart-listing'] : []),
      ];
      child = fork(CHILD, args, {
        execArgv: ['--openssl-legacy-provider'],
        stdio: ['ignore', log.fd, log.fd, 'ipc'],
      });
    } finally {
      await log.close();
    }
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`s3rver did not start; see ${logPath}`)), 30_000);
      child.once('message', () => {
        clearTimeout(timer);
        resolve();
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`s3rver exited (${code ?? signal}) before it listened; see ${logPath}`));
      });
    });
  };
  await launch();

  const kill = async (): Promise<void> => {
    const done = exited(child);
    child.kill('SIGKILL');
    await done;
  };

  return {
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    bucket,
    directory,
    logPath,
    createBucket(name) {
      return new Promise((resolve) => {
        const onMessage = (message: { created?: string }): void => {
          if (message.created !== name) return;
          child.off('message', onMessage);
          resolve();
        };
        child.on('message', onMessage);
        child.send({ createBucket: name });
      });
    },
    async stop() {
      const done = exited(child);
      child.kill('SIGTERM');
      await done;
      await dir.remove();
    },
    kill,
    async restart() {
      await kill();
      await launch();
    },
  };
}
