import { z } from 'zod';

/** `> 0`, `>= 10`, `= 42`, `!= 0`, `= 'open'`: an operator, then a number or a text. */
export interface Comparison {
  readonly op: '=' | '!=' | '<' | '<=' | '>' | '>=';
  /** The text after the operator, quotes removed. */
  readonly operand: string;
  /** The operand as a number, when it is one. */
  readonly number?: number;
}

export type AssertionCheck =
  | { readonly kind: 'compare'; readonly comparison: Comparison }
  | { readonly kind: 'exists' }
  | { readonly kind: 'sameAsBackup' };

/** One SQL check a restore test (and a drill) runs on the restored data. */
export interface Assertion {
  readonly name: string;
  readonly sql: string;
  readonly check: AssertionCheck;
  /** As the config wrote it, for people: `> 0`, `exists`, `same as backup`. */
  readonly expected: string;
}

const EXPECT = /^\s*(!=|<>|<=|>=|=|<|>)\s*(.*?)\s*$/s;
const EXPECT_MESSAGE = `expected an operator (=, !=, <, <=, >, >=) and a value, such as "> 0", "= 42" or "= 'open'"`;

export function parseExpect(text: string): Comparison | undefined {
  const match = EXPECT.exec(text);
  if (match === null || match[2] === '') return undefined;
  const op = (match[1] === '<>' ? '!=' : match[1]) as Comparison['op'];
  const raw = match[2] as string;
  const quoted = /^'(.*)'$/s.exec(raw) ?? /^"(.*)"$/s.exec(raw);
  const operand = quoted === null ? raw : (quoted[1] as string);
  const number = quoted === null && raw.trim() !== '' ? Number(raw) : Number.NaN;
  if (Number.isNaN(number) && op !== '=' && op !== '!=') return undefined;
  return { op, operand, ...(Number.isNaN(number) ? {} : { number }) };
}

const assertionBlock = z
  .strictObject({
    name: z.string().min(1, 'an assertion needs a name'),
    sql: z.string().trim().min(1, 'an assertion needs its sql'),
    expect: z.string().optional(),
    exists: z.literal(true).optional(),
    sameAsBackup: z.literal(true).optional(),
  })
  .superRefine((block, context) => {
    const set = [block.expect, block.exists, block.sameAsBackup].filter((v) => v !== undefined).length;
    if (set !== 1)
      context.addIssue({
        code: 'custom',
        message: 'set exactly one of expect ("> 0"), exists: true or sameAsBackup: true',
      });
    if (block.expect !== undefined && parseExpect(block.expect) === undefined)
      context.addIssue({ code: 'custom', path: ['expect'], message: EXPECT_MESSAGE });
  });

/** `jobs.NAME.assertions`: names unique within the job. */
export const assertionsSchema = z.array(assertionBlock).superRefine((blocks, context) => {
  const seen = new Set<string>();
  blocks.forEach((block, index) => {
    if (seen.has(block.name))
      context.addIssue({
        code: 'custom',
        path: [index, 'name'],
        message: `another assertion of this job is named "${block.name}"`,
      });
    seen.add(block.name);
  });
});

export function assertionsOf(blocks: z.infer<typeof assertionsSchema>): Assertion[] {
  return blocks.map((block) => {
    const { name, sql } = block;
    if (block.sameAsBackup)
      return { name, sql, check: { kind: 'sameAsBackup' }, expected: 'same as at backup' };
    if (block.exists) return { name, sql, check: { kind: 'exists' }, expected: 'a row' };
    const comparison = parseExpect(block.expect as string) as Comparison;
    return { name, sql, check: { kind: 'compare', comparison }, expected: (block.expect as string).trim() };
  });
}
