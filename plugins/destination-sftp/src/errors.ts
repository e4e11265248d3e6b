import { DestinationError, TricopyError } from '@tricopy/contract';

export interface ErrorScope {
  /** `destination "nas"` */
  readonly who: string;
  /** `user@host:port` */
  readonly server: string;
  readonly connectTimeoutMs: number;
  readonly operationTimeoutMs: number;
  redact(text: string): string;
}

/** What the host verifier saw during the last handshake. */
export interface HostKeyVerdict {
  readonly offered: string;
  readonly pinned: string | undefined;
}

/** SFTP status codes (draft-ietf-secsh-filexfer-02) as ssh2 reports them in `error.code`. */
export const SFTP_NO_SUCH_FILE = 2;
export const SFTP_PERMISSION_DENIED = 3;
/** The server's generic error; OpenSSH's sftp-server answers it for ENOSPC, EDQUOT, EFBIG and EROFS alike. */
export const SFTP_FAILURE = 4;

export function isNoSuchFile(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === SFTP_NO_SUCH_FILE || code === 'ENOENT';
}

export function hostKeyError(scope: ErrorScope, verdict: HostKeyVerdict): DestinationError {
  if (verdict.pinned === undefined) {
    return new DestinationError(
      `${scope.who}: no host key pinned for ${scope.server}; the server offers ${verdict.offered}. ` +
        `Check it against the server (ssh-keygen -l -f /etc/ssh/ssh_host_ed25519_key.pub) and set hostKey: ${verdict.offered}`,
    );
  }
  return new DestinationError(
    `${scope.who}: host key mismatch for ${scope.server}: server offered ${verdict.offered}, config pins ` +
      `${verdict.pinned}. If the server's key was changed on purpose, set hostKey: ${verdict.offered}; otherwise ` +
      'someone may be intercepting the connection',
  );
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The connection is gone (the server ended or closed it, or it was dropped after a failed request); `cause` holds
 * what ssh2 reported, if anything. A request that fails on a connection that is gone fails because of it.
 */
export class ConnectionLost extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ConnectionLost';
  }
}

/** A request that failed on a connection that is gone failed because of it, whatever ssh2 called the failure. */
export function failureOn(session: { readonly alive: boolean }, error: unknown): unknown {
  if (session.alive || TricopyError.isInstance(error) || error instanceof ConnectionLost) return error;
  return new ConnectionLost(messageOf(error), { cause: error });
}

/** The private key given cannot be parsed (or decrypted with the passphrase given), as ssh2's parseKey says. */
export class UnusableKey extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'UnusableKey';
  }
}

/**
 * Errors that already took their whole timeout (a server that accepts TCP and never speaks SSH): retrying them
 * inside the plugin would multiply connectTimeoutMs by the retries. They stay retryable for the engine.
 */
const exhaustedTimeouts = new WeakSet<Error>();

export function worthRetryingHere(error: unknown): boolean {
  return DestinationError.isInstance(error) && error.retryable && !exhaustedTimeouts.has(error);
}

type Failure =
  | 'authentication'
  | 'key'
  | 'refused'
  | 'unresolved'
  | 'unresolved-for-now'
  | 'handshake-timeout'
  | 'keepalive-timeout'
  | 'lost'
  | 'permission'
  | 'server-failure'
  | 'other';

const LOST_CODES = new Set<unknown>(['ECONNRESET', 'EPIPE', 'ERR_NOT_CONNECTED']);

/**
 * What went wrong, by type and code only: ssh2 marks its own errors with a `level` (client-authentication,
 * client-timeout, client-socket, client-dns), sockets and ssh2-sftp-client set a `code`, SFTP status codes are numbers.
 */
function failureOf(action: string, error: unknown): Failure {
  if (error instanceof ConnectionLost) return 'lost';
  if (error instanceof UnusableKey) return 'key';
  const { code, level } = (error ?? {}) as { code?: unknown; level?: unknown };
  if (level === 'client-authentication') return 'authentication';
  if (level === 'client-timeout') return action === 'connect' ? 'handshake-timeout' : 'keepalive-timeout';
  if (code === 'ECONNREFUSED') return 'refused';
  if (code === 'ENOTFOUND') return 'unresolved';
  if (code === 'EAI_AGAIN') return 'unresolved-for-now';
  if (code === 'ETIMEDOUT') return 'handshake-timeout';
  if (LOST_CODES.has(code)) return 'lost';
  if (code === SFTP_PERMISSION_DENIED || code === 'EACCES') return 'permission';
  if (code === SFTP_FAILURE) return 'server-failure';
  return 'other';
}

/** Turns an ssh2 / ssh2-sftp-client error into a one-line DestinationError, told apart by its type or code. */
export function translateError(scope: ErrorScope, action: string, error: unknown): TricopyError {
  if (TricopyError.isInstance(error)) return error;
  const message = scope.redact(messageOf(error));
  const failure = failureOf(action, error);
  const { text, retryable } = describeFailure(scope, failure, { action, message });
  const translated = new DestinationError(`${scope.who}: ${action}: ${text}`, { cause: error, retryable });
  if (failure === 'handshake-timeout') exhaustedTimeouts.add(translated);
  return translated;
}

function describeFailure(
  scope: ErrorScope,
  failure: Failure,
  { action, message }: { action: string; message: string },
): { text: string; retryable: boolean } {
  switch (failure) {
    case 'authentication':
      return {
        text:
          `authentication failed for ${scope.server}: check username, privateKey (and its passphrase) or password, ` +
          "and that the key is in the server's authorized_keys",
        retryable: false,
      };
    case 'key':
      return {
        text: `cannot use the private key: ${message} (check privateKey and privateKeyPassphrase)`,
        retryable: false,
      };
    case 'refused':
      return {
        text: `connection refused by ${scope.server}: is the SSH server running and the port right?`,
        retryable: true,
      };
    case 'unresolved':
    case 'unresolved-for-now':
      return {
        text: `cannot resolve the host of ${scope.server}: check host`,
        retryable: failure === 'unresolved-for-now',
      };
    case 'handshake-timeout':
      return {
        text:
          `no SSH handshake from ${scope.server} within ${scope.connectTimeoutMs} ms (connectTimeoutMs): ` +
          'is it an SSH server, and reachable?',
        retryable: true,
      };
    case 'keepalive-timeout':
      return {
        text:
          `${scope.server} stopped answering (no reply to keepalives); connection dropped after about ` +
          `${scope.operationTimeoutMs} ms (operationTimeoutMs)`,
        retryable: true,
      };
    case 'lost':
      return { text: `connection to ${scope.server} lost (${message})`, retryable: true };
    case 'permission':
      return {
        text: `permission denied (${message}): check that ${scope.server} may write the folder in path`,
        retryable: false,
      };
    case 'server-failure':
      return { text: genericFailure(scope, action), retryable: false };
    case 'other':
      return { text: message, retryable: false };
  }
}

/** SSH_FX_FAILURE carries no reason; for a write the usual one is a full disk or an exhausted quota. */
function genericFailure(scope: ErrorScope, action: string): string {
  return action.startsWith('put ')
    ? `the server refused the write (SSH_FX_FAILURE): the disk on ${scope.server} may be full or over quota ` +
        '(free space or raise the quota there, or point path at a larger volume)'
    : `the server reported a failure without a reason (SSH_FX_FAILURE): check the disk and the permissions ` +
        `on ${scope.server}`;
}

/** The temporary file of an upload in progress is gone: someone else removed it. */
export function vanished(scope: ErrorScope, temp: string): DestinationError {
  return new DestinationError(
    `${scope.who}: the temporary file ${temp} on ${scope.server} was removed by someone else while it was being ` +
      'written (another program, or a tricopy of another config sharing this folder, cleaning up): nothing was ' +
      'stored; make sure nothing else deletes .tricopy-tmp-* files there',
    { retryable: true },
  );
}

/** A timeout of one request: the connection is assumed dead and is dropped by the caller. */
export function operationTimeout(scope: ErrorScope, action: string): DestinationError {
  return new DestinationError(
    `${scope.who}: ${action}: no answer from ${scope.server} within ${scope.operationTimeoutMs} ms (operationTimeoutMs)`,
    { retryable: true },
  );
}
