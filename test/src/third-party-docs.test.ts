import { mkdir, readFile, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { parseConfig } from '@tricopy/core';
import { BUILTIN_PLUGINS } from 'tricopy';
import { describe, expect, it } from 'vitest';
import { makeWorkspace, REPO_ROOT } from './cli.js';

const GUIDE = join(REPO_ROOT, 'docs/writing-a-plugin.md');
const EXAMPLE = join(REPO_ROOT, 'examples/destination-webdav');

interface CodeBlock {
  readonly language: string;
  readonly attributes: string;
  readonly code: string;
  readonly line: number;
}

function codeBlocks(markdown: string): CodeBlock[] {
  const blocks: CodeBlock[] = [];
  const fence = /^```(\S*)([^\n]*)\n([\s\S]*?)^```$/gm;
  for (const match of markdown.matchAll(fence)) {
    blocks.push({
      language: match[1] ?? '',
      attributes: (match[2] ?? '').trim(),
      code: match[3] ?? '',
      line: markdown.slice(0, match.index).split('\n').length,
    });
  }
  return blocks;
}

/** Lines without indentation or blank lines, so an excerpt matches whatever its indentation in the file. */
function normalise(text: string): string {
  return `\n${text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .join('\n')}\n`;
}

const markdown = await readFile(GUIDE, 'utf8');
const blocks = codeBlocks(markdown);
const manifest = JSON.parse(await readFile(join(EXAMPLE, 'package.json'), 'utf8')) as {
  name: string;
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

describe("docs/writing-a-plugin.md: every code block is the example's code or is checked here", () => {
  it('has code blocks, each of a kind this test knows', () => {
    expect(blocks.length).toBeGreaterThan(10);
    for (const block of blocks) {
      const known =
        block.attributes.startsWith('file=') || block.language === 'sh' || block.attributes === 'config';
      expect(known, `block at line ${block.line}: add file=PATH, or make it a sh or yaml config block`).toBe(
        true,
      );
    }
  });

  for (const block of blocks.filter((b) => b.attributes.startsWith('file='))) {
    const file = block.attributes.slice('file='.length);
    it(`the block at line ${block.line} is an excerpt of examples/destination-webdav/${file}`, async () => {
      const source = await readFile(join(EXAMPLE, file), 'utf8');
      expect(normalise(source)).toContain(normalise(block.code));
    });
  }

  for (const block of blocks.filter((b) => b.language === 'sh')) {
    it(`the commands at line ${block.line} match the example's package.json`, () => {
      for (const command of block.code.split('\n').filter((line) => line.trim() !== '')) {
        const words = command.trim().split(/\s+/);
        if (words[0] === 'npm' && words[1] === 'install') {
          const dev = words.includes('--save-dev');
          const declared = dev ? manifest.devDependencies : manifest.dependencies;
          const names = words.slice(2).filter((word) => !word.startsWith('-'));
          expect(names.length).toBeGreaterThan(0);
          for (const name of names) expect(Object.keys(declared), `${command}: ${name}`).toContain(name);
          // And nothing the example needs is missing from the guide's install commands.
          if (!dev) expect(names.sort()).toEqual(Object.keys(declared).sort());
        } else if (words[0] === 'npm' && words[1] === 'run') {
          expect(Object.keys(manifest.scripts)).toContain(words[2]);
        } else if (words[0] === 'npm' && words[1] === 'test') {
          expect(manifest.scripts.test).toBe('vitest run');
        } else if (command.trim() === 'npm publish') {
          expect(manifest.name).toMatch(/^(@[\w-]+\/)?tricopy-destination-/);
          expect((manifest as unknown as { files: string[] }).files).toContain('dist');
        } else {
          throw new Error(`line ${block.line}: no check for the command "${command}"`);
        }
      }
    });
  }

  for (const block of blocks.filter((b) => b.attributes === 'config')) {
    it(`the config at line ${block.line} is valid with the plugin installed as an npm package`, async () => {
      const ws = await makeWorkspace('docs-config');
      try {
        await mkdir(join(ws.dir, 'node_modules'));
        await symlink(EXAMPLE, join(ws.dir, 'node_modules', manifest.name), 'dir');
        const config = await parseConfig(
          block.code,
          join(ws.dir, 'tricopy.yaml'),
          {
            NAS_PASSWORD: 'x',
          },
          BUILTIN_PLUGINS,
        );
        const nas = config.destinations.get('nas');
        expect(nas).toMatchObject({ type: manifest.name, media: 'nas', offsite: false });
        expect(nas?.plugin.type).toBe('webdav');
      } finally {
        await ws.remove();
      }
    });
  }
});
