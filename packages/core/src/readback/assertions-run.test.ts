import { describe, expect, it } from 'vitest';
import { assertionsOf, parseExpect } from '../config/assertions.js';
import { runAssertions } from './assertions-run.js';

const answers: Record<string, string | null> = { n: '42', text: 'open', none: null, decimal: '1230.00' };
const query = async (sql: string) => {
  if (!(sql in answers)) throw new Error(`relation "${sql}" does not exist`);
  return answers[sql] as string | null;
};
const judged = async (
  blocks: Parameters<typeof assertionsOf>[0],
  recorded = [] as { name: string; sql: string; value: string | null }[],
) => (await runAssertions(assertionsOf(blocks), query, recorded, (t) => t)).map((r) => [r.name, r.ok]);

describe('assertions', () => {
  it('compare numbers as numbers, text as text; NULL passes no comparison', async () => {
    expect(
      await judged([
        { name: 'gt', sql: 'n', expect: '> 0' },
        { name: 'eq', sql: 'n', expect: '= 42.0' },
        { name: 'lt', sql: 'n', expect: '< 42' },
        { name: 'ne', sql: 'n', expect: '<> 42' },
        { name: 'text', sql: 'text', expect: "= 'open'" },
        { name: 'text-num', sql: 'text', expect: '> 1' },
        { name: 'null', sql: 'none', expect: '!= 0' },
        { name: 'decimal', sql: 'decimal', expect: '= 1230' },
      ]),
    ).toEqual([
      ['gt', true],
      ['eq', true],
      ['lt', false],
      ['ne', false],
      ['text', true],
      ['text-num', false],
      ['null', false],
      ['decimal', true],
    ]);
  });

  it('exists wants a non-NULL value; sameAsBackup the recorded one; a failing query fails its assertion only', async () => {
    expect(
      await judged(
        [
          { name: 'row', sql: 'n', exists: true },
          { name: 'no-row', sql: 'none', exists: true },
          { name: 'same', sql: 'n', sameAsBackup: true },
          { name: 'changed', sql: 'text', sameAsBackup: true },
          { name: 'unrecorded', sql: 'decimal', sameAsBackup: true },
          { name: 'broken', sql: 'missing', expect: '> 0' },
        ],
        [
          { name: 'same', sql: 'n', value: '42' },
          { name: 'changed', sql: 'text', value: 'closed' },
        ],
      ),
    ).toEqual([
      ['row', true],
      ['no-row', false],
      ['same', true],
      ['changed', false],
      ['unrecorded', false],
      ['broken', false],
    ]);
  });

  it('an expect without an operator and a value is refused; > needs a number', () => {
    expect(parseExpect('more than 3')).toBeUndefined();
    expect(parseExpect('>')).toBeUndefined();
    expect(parseExpect("> 'a'")).toBeUndefined();
    expect(parseExpect('>= 10')).toEqual({ op: '>=', operand: '10', number: 10 });
  });
});
