#!/usr/bin/env node
import './heap.js';

// Loaded only after heap.js has run: a static import would load the whole module graph first.
const { main } = await import('./main.js');
process.exitCode = await main(process.argv);
