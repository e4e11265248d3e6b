import { randomBytes } from 'node:crypto';

/**
 * Key-safe backup id that sorts in start order to the millisecond: `20261122T020837Z-07b3f2`.
 * The suffix is the milliseconds as three hex digits (000–3e7) followed by three random ones,
 * so two backups started within the same second still sort in the order they started.
 */
export function newBackupId(now: Date): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
  const millis = now.getUTCMilliseconds().toString(16).padStart(3, '0');
  const random = randomBytes(2).toString('hex').slice(0, 3);
  return `${stamp}-${millis}${random}`;
}

export const BACKUP_ID_PATTERN = /^\d{8}T\d{6}Z-[0-9a-f]{6}$/;
