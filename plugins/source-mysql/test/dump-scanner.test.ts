import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { DumpScanner } from '../src/index.js';
import { RestoreRewriter } from '../src/restore-rewriter.js';

const DUMP = [
  '/*M!999999\\- enable the sandbox mode */ ',
  '-- MariaDB dump 10.19',
  'USE `shop`;',
  'CREATE TABLE `a``b` (',
  '  `x` text',
  ');',
  'CREATE TABLE `empty` (x int);',
  "INSERT INTO `a``b` VALUES (1,'it\\'s (a) trap;),(',0x00FF),(2,NULL,'\\\\'),",
  "(3,'漢字 🚀','');",
  'INSERT INTO `a``b` VALUES',
  "(4,'multi\\nline',NULL),",
  "(5,'x',NULL);",
  '/*!50001 CREATE VIEW `v` AS SELECT 1 AS `(`*/;',
  'USE `other`;',
  'CREATE TABLE `t` (x int);',
  'INSERT INTO `t` VALUES (1),(2),(3);',
  "CREATE DEFINER=`root`@`localhost` PROCEDURE `p`() SELECT 'DEFINER=`x`@`y`'",
  "INSERT INTO `t` VALUES (4,'DEFINER=`root`@`localhost`');",
  // Names with a newline: mariadb-dump writes them raw, so the statement's name goes on on the next line.
  'USE `odd',
  'db`;',
  'CREATE TABLE `new',
  'line` (x int);',
  'INSERT INTO `new',
  'line` VALUES (1),(2),',
  '(3);',
  '-- Dump completed on 2026-11-22',
  '',
].join('\n');

async function scan(chunks: Buffer[]): Promise<Record<string, number>> {
  const scanner = new DumpScanner(true);
  await pipeline(Readable.from(chunks), scanner, async (source) => {
    for await (const _ of source) {
      // drain
    }
  });
  return Object.fromEntries(scanner.counts);
}

function split(buffer: Buffer, sizes: () => number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let i = 0; i < buffer.length; ) {
    const size = Math.max(1, sizes());
    chunks.push(buffer.subarray(i, i + size));
    i += size;
  }
  return chunks;
}

describe('DumpScanner', () => {
  const bytes = Buffer.from(DUMP, 'utf8');
  const expected = { 'shop.a`b': 5, 'shop.empty': 0, 'other.t': 4, 'odd\ndb.new\nline': 3 };

  it('counts the rows of single- and multi-line INSERTs, strings with quotes, parens and semicolons', async () => {
    expect(await scan([bytes])).toEqual(expected);
  });

  it('gives the same counts however the stream is chunked', async () => {
    expect(await scan(split(bytes, () => 1))).toEqual(expected);
    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return 1 + (seed % 23);
    };
    for (let round = 0; round < 20; round++) expect(await scan(split(bytes, random))).toEqual(expected);
  });
});

describe('RestoreRewriter', () => {
  async function rewrite(rules: ConstructorParameters<typeof RestoreRewriter>[0], chunkSize: number) {
    const out: Buffer[] = [];
    await pipeline(
      Readable.from(split(Buffer.from(DUMP), () => chunkSize)),
      new RestoreRewriter(rules),
      async (source) => {
        for await (const chunk of source) out.push(Buffer.from(chunk));
      },
    );
    return Buffer.concat(out).toString('utf8');
  }

  it('strips definers outside data, drops the sandbox line, renames databases, keeps rows byte for byte', async () => {
    const text = await rewrite(
      { dropSandboxLine: true, stripDefiners: true, renameDatabases: (name) => `scratch_${name}` },
      5,
    );
    expect(text.startsWith('-- MariaDB dump')).toBe(true);
    expect(text).toContain("\nCREATE PROCEDURE `p`() SELECT 'DEFINER=`x`@`y`'\n");
    expect(text).toContain("INSERT INTO `t` VALUES (4,'DEFINER=`root`@`localhost`');");
    expect(text).toContain('USE `scratch_shop`;');
    expect(text).toContain('USE `scratch_odd\ndb`;\nCREATE TABLE `new\nline` (x int);');
    expect(text).not.toContain('USE `odd');
    expect(text).toContain("(3,'漢字 🚀','');");
  });

  it('changes nothing when no rule applies', async () => {
    expect(await rewrite({ dropSandboxLine: false, stripDefiners: false }, 3)).toBe(DUMP);
  });
});
