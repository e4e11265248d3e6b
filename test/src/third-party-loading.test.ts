import { createHash } from 'node:crypto';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type BackupJson,
  FIXTURES,
  makeWorkspace,
  REPO_ROOT,
  tricopy,
  tricopyJson,
  type Workspace,
} from './cli.js';

const CHINOOK = join(FIXTURES, 'chinook/Chinook_Sqlite.sqlite');
const WEBDAV_PLUGIN = join(REPO_ROOT, 'examples/destination-webdav/dist/index.js');

/**
 * A complete destination plugin in plain JavaScript with no dependencies at all: a hand-written Standard Schema,
 * tricopy errors recognised by their marker, atomic puts by temp file + rename. Installed as an npm package.
 */
const FOLDER_PLUGIN = `
import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';

const MARKER = Symbol.for('tricopy.error');
const fail = (code, message) => Object.assign(new Error(message), { [MARKER]: true, code });

const optionsSchema = {
  '~standard': {
    version: 1,
    vendor: 'tricopy-destination-x',
    validate(value) {
      const issues = Object.keys(value).filter((k) => k !== 'folder').map((k) => ({ message: 'unknown option', path: [k] }));
      if (typeof value.folder !== 'string') issues.push({ message: 'expected a folder path', path: ['folder'] });
      return issues.length > 0 ? { issues } : { value: { folder: value.folder } };
    },
  },
};

function checkKey(key) {
  if (key === '' || key.startsWith('/') || key.split('/').some((s) => s === '' || s === '.' || s === '..') || key.includes('\\\\') || key.includes('\\0')) {
    throw fail('INVALID_KEY', 'invalid key ' + JSON.stringify(key));
  }
}

export default {
  kind: 'destination',
  contractVersion: 1,
  type: 'x',
  optionsSchema,
  defaults: { media: 'object-store', offsite: true },
  create(options, context) {
    const root = resolve(context.configDir, options.folder);
    const path = (key) => (checkKey(key), join(root, key));
    const info = async (key) => {
      const s = await stat(path(key)).catch(() => undefined);
      return s?.isFile() ? { key, size: s.size } : undefined;
    };
    async function* walk(dir, prefix) {
      for (const entry of await readdir(join(root, dir), { withFileTypes: true }).catch(() => [])) {
        const key = dir === '' ? entry.name : dir + '/' + entry.name;
        if (entry.name.startsWith('.tmp-')) continue;
        if (entry.isDirectory()) yield* walk(key, prefix);
        else if (key.startsWith(prefix)) yield { key, size: (await stat(join(root, key))).size };
      }
    }
    return {
      locate: (key) => path(key),
      async put(key, body, opts = {}) {
        const target = path(key);
        await mkdir(dirname(target), { recursive: true });
        const temp = join(dirname(target), '.tmp-' + randomUUID());
        try {
          await pipeline(body, createWriteStream(temp), opts.signal ? { signal: opts.signal } : {});
          await rename(temp, target);
        } catch (error) {
          await rm(temp, { force: true });
          throw fail('DESTINATION', 'destination "' + context.name + '": put failed: ' + error.message);
        }
        return { size: (await stat(target)).size, location: target };
      },
      async get(key) {
        if ((await info(key)) === undefined) throw fail('NOT_FOUND', 'destination "' + context.name + '": no object under key "' + key + '"');
        return createReadStream(path(key));
      },
      stat: info,
      list: (prefix) => {
        if (prefix.startsWith('/') || prefix.split('/').includes('..')) throw fail('INVALID_KEY', 'invalid prefix');
        return walk('', prefix);
      },
      async delete(key) {
        if ((await info(key)) !== undefined) await rm(path(key));
      },
    };
  },
};
`;

async function writePackage(ws: Workspace, name: string, files: Record<string, string>): Promise<void> {
  for (const [file, text] of Object.entries(files)) {
    const path = join(ws.dir, 'node_modules', name, file);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, text);
  }
}

describe('a third-party plugin installed as an npm package beside the config', () => {
  let ws: Workspace;

  beforeAll(async () => {
    ws = await makeWorkspace('third-party-package');
    await copyFile(CHINOOK, join(ws.dir, 'chinook.db'));
    await mkdir(join(ws.dir, 'dest/disk'), { recursive: true });
    await writePackage(ws, 'tricopy-destination-x', {
      'package.json': JSON.stringify({
        name: 'tricopy-destination-x',
        version: '1.0.0',
        type: 'module',
        exports: { '.': { import: './lib/index.js' } },
      }),
      'lib/index.js': FOLDER_PLUGIN,
    });
    await ws.writeConfig(`
destinations:
  disk: { type: local, path: ./dest/disk }
  vault: { type: tricopy-destination-x, folder: ./dest/vault }
jobs:
  music:
    source: { type: sqlite, path: ./chinook.db }
    destinations: [disk, vault]
policy: { copies: 2, media: 2, offsite: 1 }
`);
  });
  afterAll(() => ws?.remove());

  it('is found by its package name; its default media and offsite count toward 3-2-1', async () => {
    const result = await tricopyJson<{
      destinations: { destination: string; type: string; media: string; offsite: boolean; ok: boolean }[];
      jobs: { policy: { met: boolean; summary: string } }[];
    }>(['check'], { cwd: ws.dir });
    expect(result.code, result.stderr).toBe(0);
    expect(result.json.destinations.find((d) => d.destination === 'vault')).toEqual(
      expect.objectContaining({
        type: 'tricopy-destination-x',
        media: 'object-store',
        offsite: true,
        ok: true,
      }),
    );
    expect(result.json.jobs[0]?.policy).toMatchObject({
      met: true,
      summary: '2 copies of 2; 2 media of 2; 1 offsite of 1',
    });
  });

  it('backs up to it: the stored file has the size and sha256 tricopy reports', async () => {
    const result = await tricopyJson<BackupJson>(['backup'], { cwd: ws.dir });
    expect(result.code, result.stderr).toBe(0);
    const run = result.json.runs[0] as BackupJson['runs'][number];
    const vault = run.copies.find((c) => c.destination === 'vault');
    expect(vault?.status).toBe('verified');
    expect(relative(ws.dir, vault?.location ?? '')).toMatch(new RegExp(`^dest/vault/music/${run.backupId}/`));
    const bytes = await readFile(vault?.location as string);
    expect(bytes.length).toBe(run.size);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(run.sha256);
  });
});

interface BadPlugin {
  readonly name: string;
  /** Files written into the workspace before the run. */
  readonly files?: Record<string, string>;
  /** The destination block for `bad` (YAML flow mapping body). */
  readonly block: (ws: Workspace) => string;
  /** The one problem line expected on stderr. */
  readonly line: (ws: Workspace) => RegExp;
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const GOOD_SCHEMA = `{ '~standard': { version: 1, vendor: 't', validate: (value) => ({ value }) } }`;

const BAD_PLUGINS: readonly BadPlugin[] = [
  {
    name: 'a path to no file',
    block: () => 'type: ./plugins/nope.js',
    line: (ws) =>
      new RegExp(
        `^  destinations\\.bad\\.type: destination plugin "\\./plugins/nope\\.js" not found: expected a built-in \\(local, sftp, s3, rclone\\).*; found no file at ${escapeRegExp(join(ws.dir, 'plugins/nope.js'))}$`,
      ),
  },
  {
    name: 'a package that is not installed',
    block: () => 'type: tricopy-destination-nope',
    line: (ws) =>
      new RegExp(
        `^  destinations\\.bad\\.type: destination plugin "tricopy-destination-nope" not found: expected .*an npm package installed beside the config.*; found no node_modules/tricopy-destination-nope in ${escapeRegExp(ws.dir)} or the folders above it \\(install it there: npm install tricopy-destination-nope\\)$`,
      ),
  },
  {
    name: 'a module without a default export',
    files: { 'plugins/bad.js': 'export const helper = 1;\n' },
    block: () => 'type: ./plugins/bad.js',
    line: () =>
      /^ {2}destinations\.bad\.type: destination plugin "\.\/plugins\/bad\.js" \(.*plugins\/bad\.js\) is not a tricopy destination plugin: expected a default export \{ kind: "destination", .*create\(\) \}, found no default export \(the module exports helper\)$/,
  },
  {
    name: 'a plugin without create()',
    files: {
      'plugins/bad.js': `export default { kind: 'destination', contractVersion: 1, type: 'bad', optionsSchema: ${GOOD_SCHEMA}, defaults: { media: 'disk', offsite: false } };\n`,
    },
    block: () => 'type: ./plugins/bad.js',
    line: () =>
      /^ {2}destinations\.bad\.type: destination plugin "\.\/plugins\/bad\.js" .* is not a tricopy destination plugin: expected .*create\(\) \}, found no create\(\) function \(its keys: kind, contractVersion, type, optionsSchema, defaults\)$/,
  },
  {
    name: 'a source plugin used as a destination',
    files: {
      'plugins/bad.js': `export default { kind: 'source', contractVersion: 1, type: 'bad', optionsSchema: ${GOOD_SCHEMA}, create() {} };\n`,
    },
    block: () => 'type: ./plugins/bad.js',
    line: () =>
      /^ {2}destinations\.bad\.type: destination plugin "\.\/plugins\/bad\.js" .* is not a tricopy destination plugin: expected a default export \{ kind: "destination", .*, found a source plugin \(kind: "source"\): use it as a source$/,
  },
  {
    name: 'an unsupported contract version',
    files: {
      'plugins/bad.js': `export default { kind: 'destination', contractVersion: 99, type: 'bad', optionsSchema: ${GOOD_SCHEMA}, defaults: { media: 'disk', offsite: false }, create() {} };\n`,
    },
    block: () => 'type: ./plugins/bad.js',
    line: () =>
      /^ {2}destinations\.bad\.type: destination plugin "\.\/plugins\/bad\.js" .* declares contractVersion 99; expected one this tricopy supports \(1\): upgrade tricopy, or use a release of the plugin for contract 1$/,
  },
  {
    name: 'a plugin whose import throws',
    files: { 'plugins/bad.js': `throw new Error('cannot start: missing licence file');\n` },
    block: () => 'type: ./plugins/bad.js',
    line: () =>
      /^ {2}destinations\.bad\.type: destination plugin "\.\/plugins\/bad\.js" .* failed to load: cannot start: missing licence file$/,
  },
  {
    name: 'a plugin whose dependency is missing',
    files: { 'plugins/bad.js': `import 'tricopy-no-such-dependency';\nexport default {};\n` },
    block: () => 'type: ./plugins/bad.js',
    line: () =>
      /^ {2}destinations\.bad\.type: destination plugin "\.\/plugins\/bad\.js" .* failed to load: Cannot find package 'tricopy-no-such-dependency' .*\(a module it imports is missing: install the plugin with its dependencies\)$/,
  },
  {
    name: "options that fail the plugin's own schema",
    block: (ws) =>
      `type: ${relative(ws.dir, WEBDAV_PLUGIN)}\n    url: ftp://nas.example/\n    timeoutMs: -5\n    pasword: oops`,
    line: (ws) =>
      new RegExp(
        `^  destinations\\.bad\\.url: expected an http:// or https:// URL \\(options of destination plugin "${escapeRegExp(relative(ws.dir, WEBDAV_PLUGIN))}"\\)$`,
      ),
  },
];

describe('a broken third-party plugin fails `tricopy check` with exit 2 and one line that says what to fix', () => {
  for (const bad of BAD_PLUGINS) {
    it(bad.name, async () => {
      const ws = await makeWorkspace('third-party-bad');
      try {
        for (const [file, text] of Object.entries(bad.files ?? {})) {
          await mkdir(dirname(join(ws.dir, file)), { recursive: true });
          await writeFile(join(ws.dir, file), text);
        }
        await copyFile(CHINOOK, join(ws.dir, 'chinook.db'));
        await ws.writeConfig(`
destinations:
  disk: { type: local, path: ./dest/disk }
  bad:
    ${bad.block(ws)}
jobs:
  music:
    source: { type: sqlite, path: ./chinook.db }
    destinations: [disk, bad]
`);
        const result = await tricopy(['check'], { cwd: ws.dir });
        expect(result.code).toBe(2);
        expect(result.stderr).not.toContain('\n    at ');
        // One problem is one line, `tricopy: FILE: problem`; several are listed indented under the file.
        const lines = result.stderr.split('\n').map((line) => line.replace(/^tricopy: \S+: /, '  '));
        expect(lines, result.stderr).toContainEqual(expect.stringMatching(bad.line(ws)));
      } finally {
        await ws.remove();
      }
    });
  }

  it('options problems are all reported, each with its config path and the plugin named', async () => {
    const ws = await makeWorkspace('third-party-options');
    try {
      await ws.writeConfig(`
destinations:
  nas:
    type: ${relative(ws.dir, WEBDAV_PLUGIN)}
    url: https://nas.example/dav/
    timeoutMs: -5
    pasword: oops
jobs: {}
`);
      const result = await tricopy(['check'], { cwd: ws.dir });
      expect(result.code).toBe(2);
      const label = `(options of destination plugin "${relative(ws.dir, WEBDAV_PLUGIN)}")`;
      expect(result.stderr).toContain(
        `destinations.nas.timeoutMs: Too small: expected number to be >0 ${label}`,
      );
      expect(result.stderr).toMatch(
        new RegExp(`destinations\\.nas: Unrecognized key: "pasword" ${escapeRegExp(label)}`),
      );
      expect(result.stderr).not.toContain('\n    at ');
    } finally {
      await ws.remove();
    }
  });
});
