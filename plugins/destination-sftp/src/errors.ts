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
 * Errors that already took their whole timeout (a server that accepts TCP and never speaks SSH): retrying them
 * inside the plugin would multiply connectTimeoutMs by the retries. They stay retryable for the engine.
 */
const exhaustedTimeouts = new WeakSet<Error>();

export function worthRetryingHere(error: unknown): boolean {
  return (
    DestinationError.isInstance(error) &&
    (error as DestinationError).retryable === true &&
    !exhaustedTimeouts.has(error as Error)
  );
}

/** Turns an ssh2 / ssh2-sftp-client error (which often has no code) into a one-line DestinationError. */
export function translateError(scope: ErrorScope, action: string, error: unknown): TricopyError {
  if (TricopyError.isInstance(error)) return error;
  const message = scope.redact(messageOf(error));
  const code = (error as { code?: unknown } | null)?.code;
  const fail = (text: string, retryable: boolean): DestinationError =>
    new DestinationError(`${scope.who}: ${action}: ${text}`, { cause: error, retryable });

  if (/All configured authentication methods failed/i.test(message)) {
    return fail(
      `authentication failed for ${scope.server}: check username, privateKey (and its passphrase) or password, ` +
        "and that the key is in the server's authorized_keys",
      false,
    );
  }
  if (
    /Cannot parse privateKey|Encrypted private OpenSSH key detected|bad passphrase|Unsupported key format/i.test(
      message,
    )
  ) {
    return fail(`cannot use the private key: ${message} (check privateKey and privateKeyPassphrase)`, false);
  }
  if (code === 'ECONNREFUSED' || /refused connection|ECONNREFUSED/.test(message)) {
    return fail(`connection refused by ${scope.server}: is the SSH server running and the port right?`, true);
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || /Address lookup failed/.test(message)) {
    return fail(`cannot resolve the host of ${scope.server}: check host`, code === 'EAI_AGAIN');
  }
  if (/Timed out while waiting for handshake/i.test(message) || code === 'ETIMEDOUT') {
    const timedOut = fail(
      `no SSH handshake from ${scope.server} within ${scope.connectTimeoutMs} ms (connectTimeoutMs): ` +
        'is it an SSH server, and reachable?',
      true,
    );
    exhaustedTimeouts.add(timedOut);
    return timedOut;
  }
  if (/Keepalive timeout/i.test(message)) {
    return fail(
      `${scope.server} stopped answering (no reply to keepalives); connection dropped after about ` +
        `${scope.operationTimeoutMs} ms (operationTimeoutMs)`,
      true,
    );
  }
  if (
    code === 'ECONNRESET' ||
    code === 'EPIPE' ||
    /No response from server|Unexpected (end|close) event|No SFTP connection|Not connected|ECONNRESET|socket hang up|Connection lost/i.test(
      message,
    )
  ) {
    return fail(`connection to ${scope.server} lost (${message})`, true);
  }
  if (code === SFTP_PERMISSION_DENIED || code === 'EACCES' || /Permission denied/i.test(message)) {
    return fail(
      `permission denied (${message}): check that ${scope.server} may write the folder in path`,
      false,
    );
  }
  if (code === SFTP_FAILURE) return fail(genericFailure(scope, action), false);
  return fail(message, false);
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
