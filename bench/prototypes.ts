/**
 * Prototypes of changes to files this bench does not own, applied from outside so their effect on
 * ingest can be measured before anyone edits the real thing (bench/variants-ab.ts). None of this is
 * how Puente runs; BENCHMARKS.md ("What limits ingest") describes the real changes they stand for.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { pino } from 'pino';
import type { Logger } from '../src/log.js';
import type { RunningPuente } from '../src/server.js';
import type { LowdbStore } from '../src/store/lowdb-store.js';

/**
 * The store hands the inbox a shallow copy of the new event record instead of a JSON.parse of its text
 * (≈ 9 KB per Shopify order). Stands for: recordEvent returning only what the webhook path reads (the
 * event id, its status, duplicate or not), so nothing is parsed for the caller. Reaches into the
 * store's private `remember`; only the returned copy differs, what is stored and written is not.
 */
export function shallowCallerCopy(running: Pick<RunningPuente, 'store'>): void {
  const store = running.store as unknown as { recordText: WeakMap<object, string>; remember: (record: object, text?: string) => object };
  if (typeof store.remember !== 'function' || !(store.recordText instanceof WeakMap)) throw new Error('shallowCallerCopy: the store no longer has remember/recordText; update the prototype');
  store.remember = function remember(record: object, text: string = JSON.stringify(record)) {
    store.recordText.set(record, text);
    return { ...record };
  };
}

const STORE_SOURCE = path.resolve(import.meta.dirname, '../src/store/lowdb-store.ts');

/** The two edits of the store prototype: [what the store's source says now, what the prototype says]. */
const STORE_EDITS: [string, string][] = [
  // newRecord keeps the caller's input (a shallow copy) instead of parsing its JSON text back: the
  // inbox hands over a payload the receiver parsed for this delivery alone and never touches again.
  ['const stored = JSON.parse(inputText) as Record<string, unknown>;', 'const stored = { ...input } as Record<string, unknown>;'],
  // remember gives the caller a shallow copy instead of a parse of the record's text: what the
  // webhook path reads of it is the id, the status and whether it was a duplicate.
  ['    this.recordText.set(record, text);\n    return JSON.parse(text) as T;', '    this.recordText.set(record, text);\n    return { ...record };'],
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
 * Both store edits on a running Puente: its store borrows recordEvent and remember from the prototype
 * class (generated from the same source, so the instance's fields are the same).
 */
export function adoptingStore(running: Pick<RunningPuente, 'store'>): void {
  const store = running.store as unknown as Record<string, unknown>;
  for (const method of ['recordEvent', 'remember'] as const) {
    if (typeof store[method] !== 'function') throw new Error(`adoptingStore: the store has no ${method}; update the prototype`);
    store[method] = (PrototypeStore.prototype as unknown as Record<string, unknown>)[method];
  }
}

/** src/log.ts's redaction list, copied here for the prototype logger below. */
const REDACTED_KEYS = new Set(['token', 'apiSecret', 'apiKey', 'adminToken', 'authorization', 'password', 'accessToken', 'secret', 'email', 'phone', 'name', 'address', 'identification', 'buyer', 'customer', 'payload', 'wire']);
const CENSOR = '[redacted]';

/**
 * What pino's `redact` with `key` and `*.key` paths censors (a listed key at the top level or one level
 * down), done by a `formatters.log` function: ≈ 4 µs a line instead of ≈ 45 (fast-redact's wildcard
 * paths), for every line the app logs.
 */
export function censorTwoLevels(object: Record<string, unknown>): Record<string, unknown> {
  let out: Record<string, unknown> | undefined;
  for (const key in object) {
    const value = object[key];
    if (REDACTED_KEYS.has(key)) {
      (out ??= { ...object })[key] = CENSOR;
    } else if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      let inner: Record<string, unknown> | undefined;
      for (const k in value as Record<string, unknown>) if (REDACTED_KEYS.has(k)) (inner ??= { ...(value as Record<string, unknown>) })[k] = CENSOR;
      if (inner) (out ??= { ...object })[key] = inner;
    }
  }
  return out ?? object;
}

/** Pino at info into a discarding stream, as the bench's logger, redacting with censorTwoLevels. */
export function formatterRedactingLogger(): Logger {
  const sink = new Writable({
    write(_chunk, _encoding, done) {
      done();
    },
  });
  return pino({ level: 'info', base: { app: 'puente' }, formatters: { log: censorTwoLevels } }, sink);
}
