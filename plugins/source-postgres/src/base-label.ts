/** What a base backup's backup_label says about where it starts. */
export interface BackupLabel {
  readonly startLsn: string;
  readonly startWal: string;
  readonly checkpointLsn: string;
  readonly startTime: string;
  readonly timeline: number;
}

/** The WAL a base backup needs to be consistent, from backup_manifest's WAL-Ranges. */
export interface WalRange {
  readonly timeline: number;
  readonly startLsn: string;
  readonly endLsn: string;
}

const LSN = /^[0-9A-F]{1,8}\/[0-9A-F]{1,8}$/i;

function labelLine(text: string, name: string): string | undefined {
  const prefix = `${name}: `;
  const line = text.split('\n').find((candidate) => candidate.startsWith(prefix));
  return line?.slice(prefix.length).trim();
}

/** `2026-12-07 01:02:03 UTC` (backup_label's START TIME) → ISO 8601. */
export function labelTimeToIso(text: string): string | undefined {
  const match = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}) (UTC|GMT|[+-]\d{2}(?::?\d{2})?)$/.exec(text);
  if (match === null) return undefined;
  const zone = match[3] === 'UTC' || match[3] === 'GMT' ? 'Z' : match[3]!;
  const date = new Date(`${match[1]}T${match[2]}${zone.length === 3 ? `${zone}:00` : zone}`);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/** Parses backup_label; a string names the first line that is missing or malformed. */
export function parseBackupLabel(text: string): BackupLabel | string {
  const start = /^([0-9A-F]+\/[0-9A-F]+) \(file ([0-9A-F]{24})\)$/i.exec(
    labelLine(text, 'START WAL LOCATION') ?? '',
  );
  if (start === null) return 'START WAL LOCATION';
  const checkpointLsn = labelLine(text, 'CHECKPOINT LOCATION') ?? '';
  if (!LSN.test(checkpointLsn)) return 'CHECKPOINT LOCATION';
  const startTime = labelTimeToIso(labelLine(text, 'START TIME') ?? '');
  if (startTime === undefined) return 'START TIME';
  const timeline = Number(labelLine(text, 'START TIMELINE'));
  if (!Number.isInteger(timeline) || timeline < 1) return 'START TIMELINE';
  return { startLsn: start[1]!, startWal: start[2]!.toUpperCase(), checkpointLsn, startTime, timeline };
}

/** The WAL range of backup_manifest (one entry: a base backup taken on one timeline); a string says what is wrong. */
export function parseManifestWalRange(text: string): WalRange | string {
  let manifest: unknown;
  try {
    manifest = JSON.parse(text);
  } catch {
    return 'backup_manifest is not JSON';
  }
  const ranges = (manifest as { 'WAL-Ranges'?: unknown })['WAL-Ranges'];
  if (!Array.isArray(ranges) || ranges.length === 0) return 'backup_manifest has no WAL-Ranges';
  // Ranges are listed newest timeline first; the backup ends on the first one.
  const last = ranges[0] as Record<string, unknown>;
  const first = ranges.at(-1) as Record<string, unknown>;
  const timeline = last.Timeline;
  const startLsn = first['Start-LSN'];
  const endLsn = last['End-LSN'];
  if (typeof timeline !== 'number' || typeof startLsn !== 'string' || typeof endLsn !== 'string') {
    return 'backup_manifest WAL-Ranges lacks Timeline, Start-LSN or End-LSN';
  }
  if (!LSN.test(startLsn) || !LSN.test(endLsn)) return 'backup_manifest WAL-Ranges has a malformed LSN';
  return { timeline, startLsn, endLsn };
}

export function lsnToBigInt(lsn: string): bigint {
  const [high, low] = lsn.split('/');
  return (BigInt(`0x${high}`) << 32n) | BigInt(`0x${low}`);
}

/** The WAL segment file holding the byte at `lsn` on `timeline` (as pg_walfile_name names it). */
export function walFileName(timeline: number, lsn: string, segmentBytes: number): string {
  return walFileOfByte(timeline, lsnToBigInt(lsn), segmentBytes);
}

/** The last WAL segment a range ending (exclusively) at `endLsn` needs. */
export function lastWalFileBefore(timeline: number, endLsn: string, segmentBytes: number): string {
  return walFileOfByte(timeline, lsnToBigInt(endLsn) - 1n, segmentBytes);
}

function walFileOfByte(timeline: number, position: bigint, segmentBytes: number): string {
  const segment = position / BigInt(segmentBytes);
  const perId = 0x1_0000_0000n / BigInt(segmentBytes);
  const hex = (value: bigint | number) => value.toString(16).toUpperCase().padStart(8, '0');
  return `${hex(timeline)}${hex(segment / perId)}${hex(segment % perId)}`;
}
