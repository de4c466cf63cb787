/**
 * Prototypes of changes to files this bench does not own, applied from outside so their effect on
 * ingest can be measured before anyone edits the real thing (bench/variants-ab.ts). None of this is
 * how Puente runs; BENCHMARKS.md ("What limits ingest") describes the real changes they stand for.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { RunningPuente } from '../src/server.js';
import type { LowdbStore } from '../src/store/lowdb-store.js';

const STORE_SOURCE = path.resolve(import.meta.dirname, '../src/store/lowdb-store.ts');

/** The edits of the store prototype: [what the store's source says now, what the prototype says]. */
const STORE_EDITS: [string, string][] = [
  // newRecord keeps the caller's input (a shallow copy) instead of parsing its JSON text back: the
  // inbox hands over a payload the receiver parsed for this delivery alone and never touches again.
  ['const stored = JSON.parse(inputText) as Record<string, unknown>;', 'const stored = { ...input } as Record<string, unknown>;'],
];

/**
 * The store prototype: src/store/lowdb-store.ts as it is now, with STORE_EDITS applied, written to a
 * file under node_modules/.cache and imported — generated at each run rather than kept as a copy, so it never drifts
 * from the real store. Throws when an edit no longer matches the source.
 */
async function prototypeStoreClass(): Promise<typeof LowdbStore> {
  let source = readFileSync(STORE_SOURCE, 'utf8');
  for (const [now, then] of STORE_EDITS) {
    if (!source.includes(now)) throw new Error(`bench/prototypes.ts: src/store/lowdb-store.ts no longer contains ${JSON.stringify(now)}; update STORE_EDITS`);
    source = source.replace(now, then);
  }
  // Its imports point at the real store's modules, so both share one set of types and errors.
  source = source.replace(/from '\.\/([\w-]+)\.js'/g, (_all, name: string) => `from '${pathToFileURL(path.join(path.dirname(STORE_SOURCE), `${name}.ts`)).href}'`);
  // Under node_modules, so its package imports (lowdb) resolve and the type-check never sees it.
  const dir = path.resolve(import.meta.dirname, '../node_modules/.cache/puente-bench');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `prototype-store-${process.pid}.ts`);
  writeFileSync(file, source);
  try {
    return ((await import(pathToFileURL(file).href)) as { LowdbStore: typeof LowdbStore }).LowdbStore;
  } finally {
    rmSync(file, { force: true });
  }
}

export const PrototypeStore = await prototypeStoreClass();

/**
 * The store edit on a running Puente: its store borrows recordEvent from the prototype class
 * (generated from the same source, so the instance's fields are the same).
 */
export function adoptingStore(running: Pick<RunningPuente, 'store'>): void {
  const store = running.store as unknown as Record<string, unknown>;
  for (const method of ['recordEvent'] as const) {
    if (typeof store[method] !== 'function') throw new Error(`adoptingStore: the store has no ${method}; update the prototype`);
    store[method] = (PrototypeStore.prototype as unknown as Record<string, unknown>)[method];
  }
}
