/**
 * Per-field provenance of one mapping run, for `puente mappings preview`: which node of the file gave
 * each output value, and whether it came from the node's source, its default, or its default because
 * the node's `when` was false.
 *
 * The compiled mapping reports each value node's result to `tracing.sink` when one is set. Only the
 * CLI traces, one run at a time, so a single slot is enough; when nobody traces, the cost is one
 * property read per value node.
 */
import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Document, type Node } from 'yaml';

/** Where a node sits in the mapping file: keys and indexes from the document root. */
export type NodeLocation = readonly (string | number)[];

export type TraceVia =
  /** The node's own source (path, const, template, lookup, var) gave the value. */
  | 'source'
  /** The source gave nothing, so `default` did. */
  | 'default'
  /** The node's `when` was false, so `default` (its else-branch) did. */
  | 'when-false';

export interface TraceRecord {
  /** Output field path, as in error messages: lines[0].taxes[1].code; vars are `vars.<name>`. */
  field: string;
  node: NodeLocation;
  /** The node's source, as error messages name it: `path order.currency`, `lookup taxByRate`, … */
  origin: string;
  via: TraceVia;
  value: unknown;
}

export type TraceSink = (record: TraceRecord) => void;

/** Set only while traceMappingRun runs a mapping. Read by compile.ts. */
export const tracing: { sink: TraceSink | undefined } = { sink: undefined };

export interface TracedRun<T> {
  result?: T;
  error?: unknown;
  records: TraceRecord[];
}

/**
 * Runs one mapping run collecting every value node's result. Never throws. While it runs, every
 * mapping run in this process reports to it: meant for the CLI, which runs one mapping at a time.
 */
export async function traceMappingRun<T>(run: () => T | Promise<T>): Promise<TracedRun<Awaited<T>>> {
  const records: TraceRecord[] = [];
  const previous = tracing.sink;
  tracing.sink = (record) => records.push(record);
  try {
    return { result: await run(), records };
  } catch (error) {
    return { error, records };
  } finally {
    tracing.sink = previous;
  }
}

/** One output value, explained. */
export interface FieldTrace {
  field: string;
  value: unknown;
  origin: string;
  via: TraceVia;
  /** Position of the node in the mapping file (1-based), when the file text was given. */
  line?: number;
  column?: number;
  /** For lookups: the key looked up, and whether it was an entry or the lookup's miss policy answered. */
  lookup?: { key: unknown; hit: boolean | undefined };
}

export interface ExplainedTrace {
  fields: FieldTrace[];
  vars: FieldTrace[];
}

/**
 * Turns raw records into one entry per output value: a lookup's key node reports first (same field,
 * node location ending in `key`) and is folded into the lookup's entry; vars are listed apart.
 */
export function explainTrace(records: readonly TraceRecord[], mappingText?: string): ExplainedTrace {
  const locate = mappingText === undefined ? undefined : nodeLocator(mappingText);
  const lookups = mappingText === undefined ? undefined : lookupEntries(mappingText);
  const fields: FieldTrace[] = [];
  const vars: FieldTrace[] = [];
  const pendingKeys = new Map<string, TraceRecord>();
  for (const record of records) {
    if (record.node[record.node.length - 1] === 'key') {
      pendingKeys.set(`${record.field}|${record.node.slice(0, -1).join('.')}`, record);
      continue;
    }
    const entry: FieldTrace = { field: record.field, value: record.value, origin: record.origin, via: record.via };
    const position = locate?.(record.node);
    if (position) Object.assign(entry, position);
    const keyRecord = pendingKeys.get(`${record.field}|${record.node.join('.')}`);
    if (keyRecord) {
      pendingKeys.delete(`${record.field}|${record.node.join('.')}`);
      const name = record.origin.startsWith('lookup ') ? record.origin.slice('lookup '.length) : undefined;
      const entries = name === undefined ? undefined : lookups?.get(name);
      const keyText = typeof keyRecord.value === 'string' || typeof keyRecord.value === 'number' || typeof keyRecord.value === 'boolean' ? String(keyRecord.value) : undefined;
      entry.lookup = { key: keyRecord.value, hit: entries && keyText !== undefined ? entries.has(keyText) : undefined };
    }
    (record.node[0] === 'vars' ? vars : fields).push(entry);
  }
  return { fields, vars };
}

/** A function from a node location to its line and column in the mapping text. */
export function nodeLocator(text: string): (where: NodeLocation) => { line: number; column: number } | undefined {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  return (where) => {
    const offset = offsetOf(doc, where);
    if (offset === undefined) return undefined;
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
}

function offsetOf(doc: Document, where: NodeLocation): number | undefined {
  let node: unknown = doc.contents;
  let offset = (doc.contents as Node | null)?.range?.[0];
  for (const segment of where) {
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(segment));
      if (!pair) return offset;
      node = pair.value;
      offset = (pair.value as Node | null)?.range?.[0] ?? (pair.key as Node).range?.[0] ?? offset;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment] as Node | undefined;
      if (!item) return offset;
      node = item;
      offset = item.range?.[0] ?? offset;
    } else {
      return offset;
    }
  }
  return offset;
}

function lookupEntries(text: string): Map<string, Set<string>> {
  const found = new Map<string, Set<string>>();
  try {
    const raw = parseDocument(text).toJS({ maxAliasCount: 100 }) as { lookups?: Record<string, { entries?: Record<string, unknown> }> } | null;
    for (const [name, lookup] of Object.entries(raw?.lookups ?? {})) {
      if (lookup && typeof lookup.entries === 'object' && lookup.entries !== null) found.set(name, new Set(Object.keys(lookup.entries)));
    }
  } catch {
    // A file that compiled parses; if it somehow does not, the trace just lacks hit/miss.
  }
  return found;
}
