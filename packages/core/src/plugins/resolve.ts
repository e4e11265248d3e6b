import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Where a plugin's module is, and how it was found (for error messages). */
export type Located =
  | {
      readonly found: true;
      readonly url: string;
      readonly file: string;
      readonly via: 'builtin' | 'path' | 'package';
    }
  | { readonly found: false; readonly looked: string };

export function isPathSpecifier(type: string): boolean {
  return type.startsWith('./') || type.startsWith('../') || isAbsolute(type) || type.startsWith('file:');
}

/** A path (relative to the config's folder) to a module file, or to a package folder with a package.json. */
export function locatePath(type: string, configDir: string): Located {
  const path = type.startsWith('file:') ? fileURLToPath(type) : resolve(configDir, type);
  if (!existsSync(path)) return { found: false, looked: `no file at ${path}` };
  if (statSync(path).isDirectory()) {
    const manifest = join(path, 'package.json');
    if (!existsSync(manifest)) return { found: false, looked: `a folder without package.json at ${path}` };
    return entryOf(path, manifest, 'path');
  }
  return { found: true, url: pathToFileURL(path).href, file: path, via: 'path' };
}

/**
 * An npm package name resolved the way Node resolves it from a module in `fromDir` (node_modules there and in
 * each folder above), for ESM-only packages too; then from tricopy's own installation.
 */
export function locatePackage(name: string, fromDir: string): Located {
  let dir = resolve(fromDir);
  for (;;) {
    const packageDir = join(dir, 'node_modules', name);
    const manifestPath = join(packageDir, 'package.json');
    if (existsSync(manifestPath)) return entryOf(packageDir, manifestPath, 'package');
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  try {
    const url = import.meta.resolve(name);
    if (url.startsWith('file:')) return { found: true, url, file: fileURLToPath(url), via: 'package' };
  } catch {
    // not installed beside tricopy either
  }
  return {
    found: false,
    looked: `no node_modules/${name} in ${resolve(fromDir)} or the folders above it (install it there: npm install ${name})`,
  };
}

export function locateBuiltin(packageName: string, resolvePackage: (name: string) => string): Located {
  let url: string;
  try {
    url = resolvePackage(packageName);
  } catch {
    return { found: false, looked: `no package ${packageName} beside tricopy: reinstall tricopy` };
  }
  const file = fileURLToPath(url);
  if (!existsSync(file)) {
    return {
      found: false,
      looked: `no file ${file}: the built-in ${packageName} is not built (run pnpm build)`,
    };
  }
  return { found: true, url, file, via: 'builtin' };
}

function entryOf(packageDir: string, manifestPath: string, via: 'path' | 'package'): Located {
  let manifest: { exports?: unknown; main?: string };
  try {
    manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as typeof manifest;
  } catch (error) {
    return { found: false, looked: `an unreadable ${manifestPath} (${(error as Error).message})` };
  }
  const relative = pickExport(manifest.exports) ?? manifest.main ?? 'index.js';
  const file = join(packageDir, relative);
  if (!existsSync(file)) {
    return {
      found: false,
      looked: `package ${packageDir} whose entry ${relative} (package.json exports/main) does not exist: is it built?`,
    };
  }
  return { found: true, url: pathToFileURL(file).href, file, via };
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
