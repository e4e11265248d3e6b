import { describe, expect, it } from 'vitest';
import { backupPolicy, evaluatePolicy } from './policy.js';

const policy = { copies: 3, media: 2, offsite: 1, enforce: 'warn' as const, encryption: 'warn' as const };

describe('evaluatePolicy', () => {
  it('is met by three copies on two media with one offsite', () => {
    const status = evaluatePolicy(
      [
        { media: 'disk', offsite: false },
        { media: 'nas', offsite: false },
        { media: 'cloud', offsite: true },
      ],
      policy,
    );
    expect(status).toMatchObject({ copies: 3, media: 3, offsite: 1, met: true, shortfall: '' });
  });

  it('says exactly what is missing', () => {
    const status = evaluatePolicy(
      [
        { media: 'disk', offsite: false },
        { media: 'disk', offsite: false },
      ],
      policy,
    );
    expect(status.met).toBe(false);
    expect(status.shortfall).toBe('2 copies of 3; 1 medium of 2; 0 offsite of 1');
  });

  it('counts nothing for no copies', () => {
    expect(evaluatePolicy([], policy).summary).toBe('0 copies of 3; 0 media of 2; 0 offsite of 1');
  });
});

describe('backupPolicy', () => {
  const destinations = new Map([
    ['usb', { media: 'disk', offsite: false }],
    ['nas', { media: 'nas', offsite: false }],
    ['s3', { media: 'cloud', offsite: true }],
  ]);

  it('counts the verified copies on configured destinations only', () => {
    const status = backupPolicy(
      [
        { destination: 'usb', status: 'verified' },
        { destination: 'nas', status: 'failed' },
        { destination: 's3', status: 'pending' },
        { destination: 'gone', status: 'verified' },
      ],
      { destinations, policy },
    );
    expect(status).toMatchObject({ copies: 1, media: 1, offsite: 0, met: false });
  });

  it('is met by verified copies on three destinations', () => {
    const copies = [...destinations.keys()].map((destination) => ({
      destination,
      status: 'verified' as const,
    }));
    expect(backupPolicy(copies, { destinations, policy }).met).toBe(true);
  });
});
