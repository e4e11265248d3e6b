import { describe, expect, it } from 'vitest';
import {
  labelTimeToIso,
  lastWalFileBefore,
  parseBackupLabel,
  parseManifestWalRange,
  walFileName,
} from './base-label.js';

const LABEL = `START WAL LOCATION: 0/2000028 (file 000000010000000000000002)
CHECKPOINT LOCATION: 0/2000060
BACKUP METHOD: streamed
BACKUP FROM: primary
START TIME: 2026-12-07 01:02:03 UTC
LABEL: pg_basebackup base backup
START TIMELINE: 1
`;

describe('backup_label and backup_manifest', () => {
  it('reads backup_label', () => {
    expect(parseBackupLabel(LABEL)).toEqual({
      startLsn: '0/2000028',
      startWal: '000000010000000000000002',
      checkpointLsn: '0/2000060',
      startTime: '2026-12-07T01:02:03.000Z',
      timeline: 1,
    });
  });

  it('names the line that is missing or malformed', () => {
    expect(parseBackupLabel(LABEL.replace('START TIMELINE: 1', ''))).toBe('START TIMELINE');
    expect(parseBackupLabel(LABEL.replace('(file ', '(fil '))).toBe('START WAL LOCATION');
  });

  it('reads START TIME with a numeric zone as the same moment', () => {
    expect(labelTimeToIso('2026-12-07 03:02:03 +02')).toBe('2026-12-07T01:02:03.000Z');
    expect(labelTimeToIso('2026-12-06 20:32:03 -0430')).toBe('2026-12-07T01:02:03.000Z');
    expect(labelTimeToIso('yesterday')).toBeUndefined();
  });

  it('takes the WAL range from the first timeline to the last', () => {
    const manifest = JSON.stringify({
      'WAL-Ranges': [
        { Timeline: 3, 'Start-LSN': '0/5000000', 'End-LSN': '0/5000100' },
        { Timeline: 2, 'Start-LSN': '0/4000028', 'End-LSN': '0/5000000' },
      ],
    });
    expect(parseManifestWalRange(manifest)).toEqual({
      timeline: 3,
      startLsn: '0/4000028',
      endLsn: '0/5000100',
    });
    expect(parseManifestWalRange('{}')).toBe('backup_manifest has no WAL-Ranges');
    expect(parseManifestWalRange('{')).toBe('backup_manifest is not JSON');
  });

  it('names WAL segments as pg_walfile_name does, the stop segment holding the last byte before the end', () => {
    const sixteen = 16 * 1024 * 1024;
    expect(walFileName(1, '0/2000028', sixteen)).toBe('000000010000000000000002');
    expect(walFileName(2, '1/FF000000', sixteen)).toBe('0000000200000001000000FF');
    expect(walFileName(1, '0/3000000', 64 * 1024 * 1024)).toBe('000000010000000000000000');
    expect(lastWalFileBefore(1, '0/3000000', sixteen)).toBe('000000010000000000000002');
    expect(lastWalFileBefore(1, '0/3000001', sixteen)).toBe('000000010000000000000003');
  });
});
