#!/usr/bin/env node
// Runs the compiled CLI (npm install / npm ci build it through the `prepare` script).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/src/cli/run.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('puente: the build is missing; run `npm install` (or `npm run build`) first.\n');
  process.exit(1);
}
await import(entry.href);
