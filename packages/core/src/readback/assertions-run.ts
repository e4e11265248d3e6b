import type { Source, SourceQuery } from '@tricopy/contract';
import type { Assertion, Comparison } from '../config/assertions.js';
import type { RecordedAssertion } from '../manifest/manifest.js';
import type { Session } from '../session/session.js';
import { describeError } from '../util/errors.js';

/** One assertion as run on restored data: what it returned and whether that is what was expected. */
export interface AssertionResult {
  readonly name: string;
  readonly sql: string;
  readonly expected: string;
  readonly value: string | null;
  readonly ok: boolean;
  /** Why it failed without a value to judge (the query failed, nothing was recorded at backup time). */
  readonly error?: string;
}

/** Runs every assertion through `query` (a failing query fails its assertion only) and judges each value. */
export async function runAssertions(
  assertions: readonly Assertion[],
  query: SourceQuery,
  recorded: readonly RecordedAssertion[] | undefined,
  redact: (text: string) => string,
): Promise<AssertionResult[]> {
  const results: AssertionResult[] = [];
  for (const assertion of assertions) {
    const { name, sql } = assertion;
    let value: string | null;
    try {
      value = await query(sql);
    } catch (error) {
      const why = redact(describeError(error));
      results.push({ name, sql, expected: assertion.expected, value: null, ok: false, error: why });
      continue;
    }
    results.push({ name, sql, value, ...judge(assertion, value, recorded) });
  }
  return results;
}

function judge(
  assertion: Assertion,
  value: string | null,
  recorded: readonly RecordedAssertion[] | undefined,
): { expected: string; ok: boolean; error?: string } {
  const { check } = assertion;
  if (check.kind === 'exists') return { expected: assertion.expected, ok: value !== null };
  if (check.kind === 'compare') return { expected: assertion.expected, ok: compare(value, check.comparison) };
  const then = recorded?.find((r) => r.name === assertion.name && r.sql === assertion.sql);
  if (then === undefined || then.error !== undefined)
    return {
      expected: assertion.expected,
      ok: false,
      error: `no value was recorded at backup time${then?.error === undefined ? ' (the backup predates this assertion)' : `: ${then.error}`}`,
    };
  return { expected: `= ${shown(then.value)} (as at backup)`, ok: value === then.value };
}

function compare(value: string | null, { op, operand, number }: Comparison): boolean {
  if (value === null) return false;
  const actual = Number(value);
  if (number !== undefined && value.trim() !== '' && !Number.isNaN(actual)) return holds(op, actual - number);
  if (op === '=') return value === operand;
  if (op === '!=') return value !== operand;
  return false;
}

function holds(op: Comparison['op'], difference: number): boolean {
  switch (op) {
    case '=':
      return difference === 0;
    case '!=':
      return difference !== 0;
    case '<':
      return difference < 0;
    case '<=':
      return difference <= 0;
    case '>':
      return difference > 0;
    case '>=':
      return difference >= 0;
  }
}

export const shown = (value: string | null): string => (value === null ? 'NULL' : JSON.stringify(value));

/** `assertion "orders" failed: SELECT … returned "0", expected > 0`, for every failed one. */
export function assertionFailures(results: readonly AssertionResult[]): string | undefined {
  const failed = results.filter((r) => !r.ok);
  if (failed.length === 0) return undefined;
  return failed
    .map(
      (r) =>
        `assertion "${r.name}" failed: ${r.sql} ` +
        (r.error === undefined ? `returned ${shown(r.value)}, expected ${r.expected}` : `: ${r.error}`),
    )
    .join('; ');
}

/**
 * The `inspect` to hand a restore or restore test (none when there are no assertions), and the results once it is
 * over: every assertion failed, saying so, when the source never called it (its plugin predates assertions).
 */
export function assertionRun(
  session: Session,
  assertions: readonly Assertion[],
  recorded: readonly RecordedAssertion[] | undefined,
): { inspect?: (query: SourceQuery) => Promise<void>; results: (source: Source) => AssertionResult[] } {
  if (assertions.length === 0) return { results: () => [] };
  let results: AssertionResult[] | undefined;
  const inspect = async (query: SourceQuery) => {
    results = await runAssertions(assertions, query, recorded, (text) => session.redact(text));
  };
  return { inspect, results: (source) => results ?? cannotInspect(assertions, source) };
}

function cannotInspect(assertions: readonly Assertion[], source: Source): AssertionResult[] {
  const error = `the source did not run it: its plugin ${source.query === undefined ? 'has no query (too old for assertions)' : 'ignored inspect'}`;
  return assertions.map(({ name, sql, expected }) => ({
    name,
    sql,
    expected,
    value: null,
    ok: false,
    error,
  }));
}
