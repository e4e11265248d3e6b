import { describe, expect, it } from 'vitest';
import { type CopyPlace, rankByPlace } from './copy-rank.js';

describe('rankByPlace', () => {
  const places: Record<string, CopyPlace> = {
    usb: { local: true, offsite: false },
    vault: { local: true, offsite: true },
    nas: { local: false, offsite: false },
    s3: { local: false, offsite: true },
  };
  const copies = (...names: string[]) => names.map((destination) => ({ destination }));

  it('reads local before remote, on-site before offsite, unopenable last', () => {
    const ranked = rankByPlace(copies('broken', 's3', 'nas', 'vault', 'usb'), (name) => places[name]);
    expect(ranked.map((c) => c.destination)).toEqual(['usb', 'vault', 'nas', 's3', 'broken']);
  });

  it('keeps the given order within a rank', () => {
    const ranked = rankByPlace(copies('b', 'a', 'c'), () => ({ local: false, offsite: false }));
    expect(ranked.map((c) => c.destination)).toEqual(['b', 'a', 'c']);
  });
});
