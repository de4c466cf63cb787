/**
 * Puente as `npm start` runs it: the compiled build in dist/ (`npm run build`, tsc), made afresh when
 * this module is first imported, so the figures are never those of stale code.
 *
 * The bench's own harness runs through tsx, but the server under test must not: tsx compiles with
 * esbuild's `keepNames`, which wraps every function created at run time in a `__name(fn, "…")` call
 * (an Object.defineProperty) — per request, for every closure on the webhook path. The build has no
 * such cost, and it is what runs in production.
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const ROOT = path.resolve(import.meta.dirname, '..');

execFileSync(process.execPath, [createRequire(import.meta.url).resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
  cwd: ROOT,
  stdio: 'inherit',
});

/** A module of the build, by its path under dist/ (`src/server.js`), typed as its source module. */
export async function importBuilt<T>(modulePath: string): Promise<T> {
  return (await import(pathToFileURL(path.join(ROOT, 'dist', modulePath)).href)) as T;
}
