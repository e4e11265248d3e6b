import type { Logger } from '@tricopy/contract';
import ssh2 from 'ssh2';
import SftpClient from 'ssh2-sftp-client';
import {
  ConnectionLost,
  type ErrorScope,
  type HostKeyVerdict,
  hostKeyError,
  operationTimeout,
  translateError,
  UnusableKey,
} from './errors.js';
import { fingerprintOf, sameFingerprint } from './host-key.js';

/** ssh2's SFTP channel (ssh2 is reached through ssh2-sftp-client, not a direct dependency). */
export type SFTPWrapper = Awaited<ReturnType<SftpClient['connect']>>;

export interface ConnectSettings {
  readonly host: string;
  readonly port: number;
  readonly username: string;
  readonly privateKey?: Buffer;
  readonly passphrase?: string;
  readonly password?: string;
  readonly hostKey?: string;
  readonly insecureAcceptAnyHostKey: boolean;
  readonly connectTimeoutMs: number;
  readonly operationTimeoutMs: number;
}

/** One SSH connection with its SFTP channel. `alive` turns false when the connection ends for any reason. */
export interface Session {
  readonly client: SftpClient;
  readonly sftp: SFTPWrapper;
  alive: boolean;
  /**
   * Resolves with the reason once the connection is gone. ssh2 never calls back requests sent after the channel
   * closed, so every request races this.
   */
  readonly lost: Promise<Error>;
  markLost(reason: Error): void;
}

/** Opens the SFTP connection on first use, shares it between operations, and replaces it after it died. */
export class SftpConnection {
  #session: Promise<Session> | undefined;

  constructor(
    private readonly settings: ConnectSettings,
    private readonly scope: ErrorScope,
    private readonly logger: Logger,
  ) {}

  session(): Promise<Session> {
    if (this.#session === undefined) {
      const opening = this.#open();
      this.#session = opening;
      opening.then(
        (session) => {
          if (!session.alive && this.#session === opening) this.#session = undefined;
        },
        () => {
          if (this.#session === opening) this.#session = undefined;
        },
      );
      return opening;
    }
    return this.#session.then((session) => {
      if (session.alive) return session;
      this.#session = undefined;
      return this.session();
    });
  }

  /** Forgets a session that failed a request (timeout, network error) so the next operation reconnects. */
  drop(session: Session): void {
    if (!session.alive) return;
    session.markLost(new ConnectionLost('Connection lost: dropped after a failed request'));
    session.client.end().catch(() => {});
  }

  /** Rejects as soon as the connection is lost while `work` is pending. */
  watched<T>(session: Session, work: Promise<T>): Promise<T> {
    return Promise.race([
      work,
      session.lost.then((reason) => {
        throw reason;
      }),
    ]);
  }

  /** Like `watched`, and rejects with a retryable timeout (dropping the session) after operationTimeoutMs. */
  async timed<T>(session: Session, action: string, work: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.drop(session);
        reject(operationTimeout(this.scope, action));
      }, this.settings.operationTimeoutMs);
    });
    try {
      return await Promise.race([this.watched(session, work), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    const pending = this.#session;
    this.#session = undefined;
    if (pending === undefined) return;
    const session = await pending.catch(() => undefined);
    if (session?.alive) {
      session.alive = false;
      await session.client.end().catch(() => {});
    }
  }

  async #open(): Promise<Session> {
    const { settings, logger } = this;
    let verdict: HostKeyVerdict | undefined;
    let alive = true;
    let reportLost: (reason: Error) => void = () => {};
    const lost = new Promise<Error>((resolve) => {
      reportLost = resolve;
    });
    const markLost = (reason: Error): void => {
      alive = false;
      if (session) session.alive = false;
      reportLost(reason);
    };
    let session: Session | undefined;
    const client = new SftpClient('tricopy', {
      error: (error) => {
        logger.debug('sftp connection error', { error: this.scope.redact(String(error)) });
        markLost(error instanceof Error ? error : new Error(String(error)));
      },
      end: () => markLost(new ConnectionLost('Connection lost: the server ended it')),
      close: () => markLost(new ConnectionLost('Connection lost: closed')),
    });
    // ssh2-sftp-client rewraps a failed connect's error without ssh2's `level`; the ssh2 client's own is kept here.
    let connectFailure: unknown;
    const onConnectError = (error: unknown) => {
      connectFailure ??= error;
    };
    client.on('error', onConnectError);
    try {
      refuseUnusableKey(settings);
      const sftp = await client.connect({
        host: settings.host,
        port: settings.port,
        username: settings.username,
        privateKey: settings.privateKey,
        passphrase: settings.passphrase,
        password: settings.password,
        readyTimeout: settings.connectTimeoutMs,
        keepaliveInterval: Math.max(1_000, Math.floor(settings.operationTimeoutMs / 4)),
        keepaliveCountMax: 3,
        hostVerifier: (key: Buffer) => {
          const offered = fingerprintOf(key);
          const accepted =
            settings.insecureAcceptAnyHostKey ||
            (settings.hostKey !== undefined && sameFingerprint(offered, settings.hostKey));
          if (!accepted) verdict = { offered, pinned: settings.hostKey };
          return accepted;
        },
      });
      // Without TCP_NODELAY, Nagle's algorithm and delayed ACKs stall the SFTP write requests that pg_dump's 64 KiB
      // chunks turn into: 2 MB/s instead of 70 MB/s over loopback.
      // ssh2-sftp-client's typings omit its public `client` (the ssh2 Client).
      (client as unknown as { client?: { setNoDelay?(on: boolean): void } }).client?.setNoDelay?.(true);
      session = { client, sftp, alive, lost, markLost };
      logger.debug('sftp connected', { server: this.scope.server });
      return session;
    } catch (error) {
      await client.end().catch(() => {});
      if (verdict !== undefined) throw hostKeyError(this.scope, verdict);
      throw translateError(this.scope, 'connect', connectFailure ?? error);
    } finally {
      client.removeListener('error', onConnectError);
    }
  }
}

/** A private key ssh2 cannot parse (or decrypt with the passphrase), refused before connecting, by ssh2's parser. */
function refuseUnusableKey({ privateKey, passphrase }: ConnectSettings): void {
  if (privateKey === undefined) return;
  const parsed = ssh2.utils.parseKey(privateKey, passphrase);
  if (parsed instanceof Error) throw new UnusableKey(`Cannot parse privateKey: ${parsed.message}`);
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (key?.getPrivatePEM() === null) throw new UnusableKey('privateKey holds no private key (a public key?)');
}
