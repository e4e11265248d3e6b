import { DestinationError } from '@tricopy/contract';

/** Turns a Node file-system error into a one-line DestinationError that says what to fix. */
export function fsError(where: string, action: string, path: string, error: unknown): DestinationError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const reason = (() => {
    switch (code) {
      case 'ENOSPC':
        return 'the disk is full (free space on it, or point path at a larger disk)';
      case 'EDQUOT':
        return 'the disk quota is exhausted (raise the quota or free space)';
      case 'EACCES':
      case 'EPERM':
        return `permission denied (make it writable for uid ${process.getuid?.() ?? '?'}, or choose another path)`;
      case 'EROFS':
        return 'the file system is read-only (remount it read-write, or choose another path)';
      case 'ENOENT':
        return 'the folder does not exist (create it, or mount the disk)';
      case 'ENOTDIR':
        return 'a file is in the way where a folder is expected (move it away)';
      case 'EIO':
        return 'I/O error (check the disk: dmesg, SMART)';
      default:
        return error instanceof Error ? error.message : String(error);
    }
  })();
  return new DestinationError(`${where}: ${action} ${path} failed: ${reason}`, {
    cause: error,
    retryable: code === 'EAGAIN' || code === 'EBUSY',
  });
}

export function isErrno(error: unknown, ...codes: string[]): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code !== undefined && codes.includes(code);
}
