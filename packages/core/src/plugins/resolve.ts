import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';

/** Resolves an npm package name the way Node would from `fromDir`, for ESM-only packages too. */
export function resolvePackageFrom(name: string, fromDir: string): string | undefined {
  let dir = resolve(fromDir);
  for (;;) {
    const packageDir = join(dir, 'node_modules', name);
    const manifestPath = join(packageDir, 'package.json');
    if (existsSync(manifestPath)) return entryOf(packageDir, manifestPath);
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

function entryOf(packageDir: string, manifestPath: string): string {
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
    exports?: unknown;
    main?: string;
    module?: string;
  };
  const fromExports = pickExport(manifest.exports);
  const relative = fromExports ?? manifest.main ?? 'index.js';
  return join(packageDir, relative);
}

function pickExport(exportsField: unknown): string | undefined {
  if (typeof exportsField === 'string') return exportsField;
  if (exportsField === null || typeof exportsField !== 'object') return undefined;
  const record = exportsField as Record<string, unknown>;
  const root = '.' in record ? record['.'] : record;
  if (typeof root === 'string') return root;
  if (root === null || typeof root !== 'object') return undefined;
  const conditions = root as Record<string, unknown>;
  for (const condition of ['import', 'node', 'default']) {
    const target = conditions[condition];
    if (typeof target === 'string') return target;
    const nested = pickExport(target);
    if (nested !== undefined) return nested;
  }
  return undefined;
}

export function isPathSpecifier(type: string): boolean {
  return type.startsWith('./') || type.startsWith('../') || isAbsolute(type) || type.startsWith('file:');
}
