#!/usr/bin/env node
import { nodeVersionProblem } from './node-version.js';

// Refused before anything else loads: on an older Node the native SQLite binding can crash the process outright.
const tooOld = nodeVersionProblem();
if (tooOld !== undefined) {
  process.stderr.write(`error: ${tooOld}\n`);
  process.exit(2);
}
await import('./heap.js');

// Loaded only after heap.js has run: a static import would load the whole module graph first.
const { main } = await import('./main.js');
process.exitCode = await main(process.argv);
