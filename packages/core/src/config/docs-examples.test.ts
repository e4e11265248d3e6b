// Every YAML example in the README and docs/ is copy-paste correct: it parses, and a whole config also loads.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { TEST_PLUGINS } from '../__fixtures__/test-plugins.js';
import { parseConfig } from './load.js';

const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

const BUILT_IN = new Set(['local', 'sftp', 's3', 'sqlite', 'postgres', 'mysql']);
const FILES = [
  'README.md',
  ...readdirSync(join(REPO_ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

interface Block {
  readonly file: string;
  readonly line: number;
  readonly code: string;
}

function yamlBlocks(file: string): Block[] {
  const blocks: Block[] = [];
  const lines = readFileSync(join(REPO_ROOT, file), 'utf8').split('\n');
  let start = -1;
  lines.forEach((line, index) => {
    if (start === -1 && /^```yaml\b/.test(line)) start = index;
    else if (start !== -1 && line.startsWith('```')) {
      blocks.push({ file, line: start + 1, code: lines.slice(start + 1, index).join('\n') });
      start = -1;
    }
  });
  return blocks;
}

const BLOCKS = FILES.flatMap(yamlBlocks);

/** Every plugin type the block names, when it is a whole config (destinations and jobs). */
function wholeConfigTypes(value: unknown): string[] | undefined {
  const root = value as {
    destinations?: Record<string, { type?: string }>;
    jobs?: Record<string, { source?: { type?: string } }>;
  };
  if (root?.destinations === undefined || root.jobs === undefined) return undefined;
  return [
    ...Object.values(root.destinations).map((d) => d.type ?? ''),
    ...Object.values(root.jobs).map((j) => j.source?.type ?? ''),
  ];
}

describe('YAML in the docs', () => {
  it('finds the examples', () => {
    expect(BLOCKS.filter((b) => b.file === 'README.md').length).toBeGreaterThanOrEqual(1);
    expect(BLOCKS.filter((b) => b.file === 'docs/operations.md').length).toBeGreaterThanOrEqual(3);
  });

  it.each(BLOCKS.map((b) => [`${b.file}:${b.line}`, b] as const))('%s parses as YAML', (_where, block) => {
    const document = parseDocument(block.code, { uniqueKeys: true });
    expect([...document.errors, ...document.warnings].map((e) => e.message)).toEqual([]);
  });

  it.each(BLOCKS.map((b) => [`${b.file}:${b.line}`, b] as const))(
    '%s loads as a config when it is a whole one of built-in plugins',
    async (_where, block) => {
      const types = wholeConfigTypes(parseDocument(block.code).toJS());
      if (types === undefined || !types.every((t) => BUILT_IN.has(t))) return;
      const env = Object.fromEntries(
        [...block.code.matchAll(/\$\{(\w+)\}/g)].map((m) => [m[1] as string, 'x']),
      );
      await expect(
        parseConfig(block.code, join(REPO_ROOT, 'tricopy.yaml'), env, TEST_PLUGINS),
      ).resolves.toBeDefined();
    },
  );
});
