/**
 * The store's snapshot, serialised in slices so a compaction never holds the event loop for long.
 *
 * Taking a snapshot has two steps:
 *   1. capture, synchronously, at commit C: only references — each table's ids and records, a
 *      shallow copy of the small maps, a shallow copy of each append-only list. O(n) pointer copies.
 *   2. serialise lazily, record by record, while the server keeps serving. This is consistent only
 *      because the store never mutates a stored record: every change puts a new object in the table
 *      (copy-on-write), so an object captured at C still holds its state at C when it is stringified.
 *
 * The text produced is the same JSON document `JSON.stringify` of the whole data would give (same key
 * order, no whitespace), so the reader cannot tell how it was written.
 */
import { performance } from 'node:perf_hooks';

/** One top-level key of the snapshot document, in the order the document lists them. */
export type SnapshotPart =
  /** Stringified in one go: small values (the format version, counters, the commit number). */
  | { key: string; kind: 'value'; value: unknown }
  /**
   * A map of records, stringified one record at a time: `ids[i]` → `records[i]`. Two flat arrays
   * rather than `[id, record]` pairs, because capturing them is on the synchronous path and
   * allocating a pair per record costs several times more than the copy itself.
   */
  | { key: string; kind: 'records'; ids: readonly string[]; records: readonly unknown[] }
  /** A map of lists, stringified one element at a time. */
  | { key: string; kind: 'lists'; entries: readonly (readonly [string, readonly unknown[]])[] };

export interface SnapshotSlicing {
  /**
   * Stringify work allowed between two turns of the event loop, in milliseconds. 0 gives the loop a
   * turn after every record (tests use it to make the number of turns exact).
   */
  sliceMs?: number;
  /** Approximate size of the chunks handed to the writer, in UTF-16 units. */
  chunkChars?: number;
  /** Gives the event loop a turn; setImmediate by default, so timers and I/O callbacks run in between. */
  yieldToLoop?: () => Promise<void>;
  /**
   * A record's JSON text (exactly `JSON.stringify(record)`), from a store that keeps the texts of its
   * records: copied instead of stringified again.
   */
  recordText?: (record: object) => string;
}

export const DEFAULT_SLICE_MS = 4;
export const DEFAULT_CHUNK_CHARS = 512 * 1024;

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * The text of the snapshot document, as chunks. Nothing is stringified before the consumer asks for the
 * next chunk; between chunks, and whenever a slice of work passes `sliceMs`, the event loop gets a turn.
 * `stats.chars` holds the length produced so far (the whole length once the iteration is done).
 */
export function snapshotChunks(parts: readonly SnapshotPart[], slicing: SnapshotSlicing = {}): AsyncGenerator<string> & { stats: { chars: number } } {
  const stats = { chars: 0 };
  const generator = produce(parts, slicing, stats) as AsyncGenerator<string> & { stats: { chars: number } };
  generator.stats = stats;
  return generator;
}

async function* produce(parts: readonly SnapshotPart[], slicing: SnapshotSlicing, stats: { chars: number }): AsyncGenerator<string> {
  const sliceMs = slicing.sliceMs ?? DEFAULT_SLICE_MS;
  const chunkChars = slicing.chunkChars ?? DEFAULT_CHUNK_CHARS;
  const yieldToLoop = slicing.yieldToLoop ?? nextTurn;

  let pieces: string[] = [];
  let pending = 0;
  // Only our own work counts toward a slice: time the consumer spends writing a chunk is not ours.
  let busy = 0;
  let resumedAt = performance.now();
  const add = (text: string) => {
    pieces.push(text);
    pending += text.length;
  };
  const takeChunk = () => {
    const chunk = pieces.join('');
    pieces = [];
    pending = 0;
    stats.chars += chunk.length;
    return chunk;
  };

  // After each unit of work: hand over a full chunk, or give the loop a turn once the slice is used up.
  async function* breathe(): AsyncGenerator<string> {
    if (pending >= chunkChars) {
      busy += performance.now() - resumedAt;
      yield takeChunk();
      resumedAt = performance.now();
    }
    if (busy + (performance.now() - resumedAt) >= sliceMs) {
      await yieldToLoop();
      busy = 0;
      resumedAt = performance.now();
    }
  }

  add('{');
  let firstPart = true;
  for (const part of parts) {
    add(`${firstPart ? '' : ','}${JSON.stringify(part.key)}:`);
    firstPart = false;
    if (part.kind === 'value') {
      add(stringifyValue(part.key, part.value));
      yield* breathe();
      continue;
    }
    add('{');
    if (part.kind === 'records') {
      for (let i = 0; i < part.ids.length; i++) {
        const id = part.ids[i]!;
        const record = part.records[i];
        const text = slicing.recordText && typeof record === 'object' && record !== null ? slicing.recordText(record) : stringifyValue(`${part.key}.${id}`, record);
        add(`${i === 0 ? '' : ','}${JSON.stringify(id)}:${text}`);
        yield* breathe();
      }
      add('}');
      continue;
    }
    let firstEntry = true;
    for (const [id, value] of part.entries) {
      add(`${firstEntry ? '' : ','}${JSON.stringify(id)}:`);
      firstEntry = false;
      add('[');
      const list = value as readonly unknown[];
      for (let index = 0; index < list.length; index++) {
        add(`${index === 0 ? '' : ','}${stringifyValue(`${part.key}.${id}[${index}]`, list[index])}`);
        // A list element is small: check the slice every 256 of them rather than after each.
        if (index % 256 === 255) yield* breathe();
      }
      add(']');
      yield* breathe();
    }
    add('}');
  }
  add('}');
  yield takeChunk();
}

/** JSON.stringify, refusing what it would silently drop (the store keeps only JSON values). */
function stringifyValue(where: string, value: unknown): string {
  const text = JSON.stringify(value) as string | undefined;
  if (text === undefined) throw new Error(`the snapshot cannot hold ${where}: it is not a JSON value`);
  return text;
}
