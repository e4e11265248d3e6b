import type { Report } from '@tricopy/core';
import { describe, expect, it } from 'vitest';
import { renderReportHtml } from '../report/report-html.js';
import { parseSince } from './report.js';

const NOW = new Date('2026-12-06T12:00:00.000Z');

describe('report --since', () => {
  it('takes a period back from now or a UTC date', () => {
    expect(parseSince('90d', NOW).toISOString()).toBe('2026-09-07T12:00:00.000Z');
    expect(parseSince('12h', NOW).toISOString()).toBe('2026-12-06T00:00:00.000Z');
    expect(parseSince('2w', NOW).toISOString()).toBe('2026-11-22T12:00:00.000Z');
    expect(parseSince('2026-01-31', NOW).toISOString()).toBe('2026-01-31T00:00:00.000Z');
  });

  it('refuses anything else, saying what it takes', () => {
    for (const bad of ['90', 'd', '90 d', '1y', '-3d', '2026-02-30', '2026-1-31', '']) {
      expect(() => parseSince(bad, NOW), bad).toThrow(
        'a period back from now such as 90d, 12h or 2w, or a date such as 2026-01-31',
      );
    }
  });
});

describe('the HTML report', () => {
  const hostile = '<img src=x onerror=alert(1)>\u001b[31m\u202e"\'&';
  const check = {
    backupId: hostile,
    level: 'deep',
    storedLevel: 'deep',
    copy: hostile,
    checkedAt: hostile,
    status: hostile,
    passed: false,
    expectedSize: null,
    actualSize: null,
    expectedSha256: null,
    actualSha256: null,
    detail: hostile,
  };
  const policy = { copies: 0, media: 0, offsite: 0, met: false, shortfall: hostile, summary: hostile };
  const report: Report = {
    version: 1,
    tricopyVersion: hostile,
    generatedAt: hostile,
    since: hostile,
    policy: { copies: 3, media: 2, offsite: 1 },
    jobs: [
      {
        job: hostile,
        configured: true,
        policy: { configured: policy, goodBackups: 1, pruned: 0, kept: 1, keptMet: 0, met: false },
        backups: [
          {
            backupId: hostile,
            status: hostile,
            startedAt: hostile,
            finishedAt: hostile,
            durationMs: null,
            size: null,
            sha256: hostile,
            error: hostile,
            flagged: hostile,
            confirmedAt: null,
            prunedAt: hostile,
            policy,
            copies: [
              {
                destination: hostile,
                status: hostile,
                size: 1,
                sha256: hostile,
                location: hostile,
                error: hostile,
              },
            ],
            checks: [check],
          },
        ],
        verifications: [check],
        drills: [
          {
            backupId: hostile,
            copy: hostile,
            checkedAt: hostile,
            status: hostile,
            passed: false,
            target: hostile,
            durationMs: 1,
            assertions: [{ name: hostile, sql: hostile, value: hostile, ok: false }],
            error: hostile,
            detail: hostile,
          },
        ],
      },
    ],
  };

  it('shows every stored text escaped: no tag, no control or bidi character of its own', () => {
    const html = renderReportHtml(report);
    expect(html).not.toContain('<img');
    for (const raw of ['\u001b', '\u202e']) expect(html).not.toContain(raw);
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;\\x1b[31m\\u202e&quot;&#39;&amp;');
  });
});
