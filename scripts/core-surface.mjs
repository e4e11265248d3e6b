// Which names of packages/core/src/index.ts are imported from '@tricopy/core' outside packages/core (the CLI,
// fleet, plugins, test/, examples/, bench). Prints the unused ones and exits 1 if there are any.
// Run from the repo root: node scripts/core-surface.mjs
import { execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import ts from '../packages/core/node_modules/typescript/lib/typescript.js';

/** name → files outside core importing it */
function importedNames() {
  const files = execSync("git ls-files '*.ts' '*.mts' '*.js' '*.mjs'", { encoding: 'utf8' })
    .split('\n')
    .filter((file) => file !== '' && !file.startsWith('packages/core/'));
  const used = new Map();
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    if (!text.includes('@tricopy/core')) continue;
    const visit = (node) => {
      if (isFromCore(node)) {
        for (const name of namesOf(node, file)) used.set(name, [...(used.get(name) ?? []), file]);
      }
      ts.forEachChild(node, visit);
    };
    visit(ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true));
  }
  return used;
}

function isFromCore(node) {
  return (
    (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
    node.moduleSpecifier?.text === '@tricopy/core'
  );
}

function namesOf(node, file) {
  const named = ts.isImportDeclaration(node) ? node.importClause?.namedBindings : node.exportClause;
  if (named === undefined) return [];
  if (!ts.isNamedImports(named) && !ts.isNamedExports(named))
    throw new Error(`${file}: namespace import of core`);
  return named.elements.map((element) => (element.propertyName ?? element.name).text);
}

function exportedNames() {
  const text = readFileSync('packages/core/src/index.ts', 'utf8');
  const index = ts.createSourceFile('index.ts', text, ts.ScriptTarget.Latest, true);
  return index.statements.flatMap((statement) => {
    if (!ts.isExportDeclaration(statement)) return [];
    if (statement.exportClause === undefined) throw new Error('index.ts: export * hides what is exported');
    return statement.exportClause.elements.map((element) => element.name.text);
  });
}

const used = importedNames();
const exported = exportedNames();
const unused = exported.filter((name) => !used.has(name));
console.log(`${exported.length} names exported, ${unused.length} used nowhere outside core`);
if (unused.length > 0) {
  console.log(unused.join('\n'));
  process.exitCode = 1;
}
