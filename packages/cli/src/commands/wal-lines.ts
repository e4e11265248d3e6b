import { continuityProblems, type WalContinuity } from '@tricopy/core';

/** A job's WAL continuity for people: one line when all is well, one FAILED line per problem otherwise. */
export function walContinuityLines(job: string, c: WalContinuity): string[] {
  if (c.ok && c.waiting)
    return [`WAL job ${job}: nothing stored from ${c.from} on yet (the archiver closes it next)`];
  if (c.ok)
    return [`WAL job ${job}: ok, ${c.segments} segment(s) ${c.from} .. ${c.newest} on every destination`];
  return continuityProblems(c).map((problem) => `FAILED WAL job ${job}: ${problem}`);
}
