import { readFile } from 'node:fs/promises';
import {
  CONTRACT_VERSION,
  DestinationError,
  type DestinationPlugin,
  resolveConfigPath,
} from '@tricopy/contract';
import type { ErrorScope } from './errors.js';
import { type SftpOptions, secretOptions, sftpOptionsSchema } from './options.js';

export { fetchHostKeyFingerprint, fingerprintOf } from './host-key.js';
export { type SftpOptions, sftpOptionsSchema } from './options.js';
export { SftpDestination, TEMP_PREFIX } from './sftp-destination.js';

const plugin: DestinationPlugin<SftpOptions> = {
  kind: 'destination',
  contractVersion: CONTRACT_VERSION,
  type: 'sftp',
  optionsSchema: sftpOptionsSchema,
  secretOptions,
  defaults: { media: 'nas', offsite: false },

  async create(options, context) {
    // ssh2 is loaded when an SFTP destination is opened, not with the config: a job to other destinations need not
    // carry it.
    const [{ SftpConnection }, { SftpDestination }] = await Promise.all([
      import('./connection.js'),
      import('./sftp-destination.js'),
    ]);
    const who = `destination "${context.name}"`;
    const server = `${options.username}@${options.host}:${options.port}`;
    const scope: ErrorScope = {
      who,
      server,
      connectTimeoutMs: options.connectTimeoutMs,
      operationTimeoutMs: options.operationTimeoutMs,
      redact: (text) => context.redact(text),
    };
    let privateKey: Buffer | undefined;
    if (options.privateKey !== undefined) {
      const keyPath = resolveConfigPath(context.configDir, options.privateKey);
      try {
        privateKey = await readFile(keyPath);
      } catch (error) {
        throw new DestinationError(`${who}: cannot read privateKey ${keyPath}: ${(error as Error).message}`, {
          cause: error,
        });
      }
    }
    if (options.insecureAcceptAnyHostKey) {
      context.logger.warn(`${who}: insecureAcceptAnyHostKey is on: the server's identity is not checked`);
    }
    const connection = new SftpConnection(
      {
        host: options.host,
        port: options.port,
        username: options.username,
        ...(privateKey !== undefined && { privateKey }),
        ...(options.privateKeyPassphrase !== undefined && { passphrase: options.privateKeyPassphrase }),
        ...(options.password !== undefined && { password: options.password }),
        ...(options.hostKey !== undefined && { hostKey: options.hostKey }),
        insecureAcceptAnyHostKey: options.insecureAcceptAnyHostKey,
        connectTimeoutMs: options.connectTimeoutMs,
        operationTimeoutMs: options.operationTimeoutMs,
      },
      scope,
      context.logger,
    );
    const root = options.path.replace(/\/+$/, ''); // '' is the server's filesystem root
    return new SftpDestination(
      {
        root,
        origin: `sftp://${encodeURIComponent(options.username)}@${options.host}:${options.port}`,
        retries: options.retries,
      },
      connection,
      scope,
      context.logger,
    );
  },
};

export default plugin;
