// Adds up the vitest JSON reports of every package and prints one closing line: "N passed, N failed, N skipped".
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const roots = ['packages', 'plugins', 'examples'];
const files = [
  ...roots.flatMap((root) =>
    existsSync(root) ? readdirSync(root).map((dir) => join(root, dir, '.vitest-result.json')) : [],
  ),
  join('test', '.vitest-result.json'),
].filter((file) => existsSync(file));

let passed = 0;
let failed = 0;
let skipped = 0;
for (const file of files) {
  const report = JSON.parse(readFileSync(file, 'utf8'));
  passed += report.numPassedTests ?? 0;
  // A file that fails outside any test (an import error, a failing hook) counts once.
  const failedHere = (report.numFailedTests ?? 0) || (report.success === false ? 1 : 0);
  failed += failedHere;
  skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  if (failedHere > 0) printFailures(file, report);
}

/** Names every failed test of a report with the first lines of its message, so a CI log says what broke. */
function printFailures(file, report) {
  console.log(`failures in ${file}`);
  for (const suite of report.testResults ?? []) {
    if (suite.status === 'failed' && suite.message)
      console.log(`  ${suite.name}: ${firstLines(suite.message)}`);
    for (const test of suite.assertionResults ?? []) {
      if (test.status !== 'failed') continue;
      console.log(`  ✗ ${test.fullName}`);
      for (const message of test.failureMessages ?? []) console.log(`    ${firstLines(message)}`);
    }
  }
}

function firstLines(text) {
  return text.split('\n').slice(0, 6).join('\n    ');
}
console.log(`\n${files.length} test reports`);
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
if (files.length === 0 || passed === 0 || failed > 0) process.exit(1);
