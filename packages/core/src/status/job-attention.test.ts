import { describe, expect, it } from 'vitest';
import { attentionOf } from './job-attention.js';

describe('attentionOf', () => {
  it('names each flagged backup, its reason and the command that clears it', () => {
    const lines = attentionOf({
      lastRun: { backupId: 'B2', status: 'ok', startedAt: 'x', finishedAt: 'y', reason: null },
      policyShortfall: null,
      staleReason: null,
      failedChecks: [],
      flagged: [{ backupId: 'B2', reason: 'table public.orders lost 90.0% of its rows' }],
    });
    expect(lines).toEqual([
      'backup B2 flagged: table public.orders lost 90.0% of its rows (check it, then: tricopy confirm B2)',
    ]);
  });
});
