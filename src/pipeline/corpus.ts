/**
 * The behavioural diff of two mapping sets: run both over a corpus of stored real events (or mapping
 * inputs) the way the pipeline would — stage 1, domain totals, stage 2 for every target — and report,
 * per document, which fields came out differently. An admin sees what a change to a mapping does to
 * real orders before it goes live.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { SOURCE_EVENT_KINDS, type SourceEventKind } from '../connector.js';
import { DOCUMENT_KINDS, type DocumentKind, type DocumentReference } from '../domain/fiscal-document.js';
import { diffJson, type GoldenDifference } from '../mapping/golden.js';
import type { RunnableMapping } from './mapping-port.js';
import { FISCAL_DOCUMENT, checkOutput } from './output-contract.js';

/** A mapping as a set holds it: runnable, and saying which job it does. */
export interface SetMapping extends RunnableMapping {
  source: { system: string; events?: readonly SourceEventKind[] | undefined };
  target: { system: string; document: DocumentKind };
}

export interface MappingSet {
  readonly all: readonly SetMapping[];
  forSource(system: string, event: SourceEventKind, document: DocumentKind): SetMapping | undefined;
  forTarget(system: string, document: DocumentKind): SetMapping | undefined;
  byId(id: string): SetMapping | undefined;
}

export type CorpusItem =
  /** Stage 1 and everything after it. */
  | { file: string; kind: 'event'; system: string; event: SourceEventKind; document: DocumentKind; input: unknown }
  /** A FiscalDocument already computed: stage 2 for every target. */
  | { file: string; kind: 'fiscal'; document: DocumentKind; input: unknown }
  /** `{ "mapping": "<id>", "input": … }`: that one mapping. */
  | { file: string; kind: 'explicit'; mappingId: string; input: unknown };

export interface SkippedCorpusFile {
  file: string;
  reason: string;
}

/** The documents each source event calls for through a mapping; the others come from domain code. */
const DOCUMENT_FOR_EVENT: Partial<Record<SourceEventKind, DocumentKind>> = {
  'order.paid': 'invoice',
  'order.refunded': 'credit_note',
};

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

interface StoredEventShape {
  source: string;
  kind: SourceEventKind;
  orderId?: string;
  receivedAt?: string;
  occurredAt?: string;
  payload: unknown;
}

export function asStoredEvent(value: unknown): StoredEventShape | undefined {
  if (!isRecord(value) || typeof value.source !== 'string' || !('payload' in value)) return undefined;
  if (!(SOURCE_EVENT_KINDS as readonly unknown[]).includes(value.kind)) return undefined;
  return value as unknown as StoredEventShape;
}

async function jsonFilesUnder(dir: string): Promise<string[]> {
  const files: string[] = [];
  for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await jsonFilesUnder(full)));
    else if (entry.isFile() && entry.name.toLowerCase().endsWith('.json')) files.push(full);
  }
  return files;
}

/**
 * Reads every *.json under `dir`. A file is a stored event (GET /api/events/:id), a mapping input
 * (`{ order, refund?, issuedAt, shop }` for stage 1 of `defaultSystem`, `{ document, target? }` for
 * stage 2), or `{ mapping, input }`. Refunds take their order from an order.paid event of the same
 * order in the corpus, as the pipeline takes it from the invoiced order.
 */
export async function readCorpus(
  dir: string,
  options: { defaultSystem: string; countryOf?: (source: string) => string | undefined },
): Promise<{ items: CorpusItem[]; skipped: SkippedCorpusFile[] }> {
  const items: CorpusItem[] = [];
  const skipped: SkippedCorpusFile[] = [];
  const parsed: { file: string; value: unknown }[] = [];
  for (const file of await jsonFilesUnder(dir)) {
    try {
      parsed.push({ file, value: JSON.parse(await readFile(file, 'utf8')) });
    } catch (error) {
      skipped.push({ file, reason: `not readable JSON: ${(error as Error).message}` });
    }
  }
  const orders = new Map<string, unknown>();
  for (const { value } of parsed) {
    const event = asStoredEvent(value);
    if (event?.kind === 'order.paid' && event.orderId) orders.set(`${event.source}|${event.orderId}`, event.payload);
  }
  for (const { file, value } of parsed) {
    const item = corpusItemFor(file, value, {
      defaultSystem: options.defaultSystem,
      orderOf: (source, orderId) => orders.get(`${source}|${orderId}`),
      ...(options.countryOf ? { countryOf: options.countryOf } : {}),
    });
    if ('reason' in item) skipped.push(item);
    else items.push(item);
  }
  return { items, skipped };
}

/**
 * What one JSON value is to the diff (see readCorpus). `orderOf` finds the order a refund belongs to,
 * as the pipeline takes it from the invoiced order.
 */
export function corpusItemFor(
  file: string,
  value: unknown,
  options: { defaultSystem: string; orderOf?: (source: string, orderId: string) => unknown; countryOf?: (source: string) => string | undefined },
): CorpusItem | SkippedCorpusFile {
  const event = asStoredEvent(value);
  if (event) {
    const document = DOCUMENT_FOR_EVENT[event.kind];
    if (!document) return { file, reason: `${event.kind} events make no document through a mapping (domain code builds annulments and debit notes)` };
    const colon = event.source.indexOf(':');
    const system = colon > 0 ? event.source.slice(0, colon) : event.source;
    const shop = colon > 0 ? event.source.slice(colon + 1) : '';
    // The pipeline uses "now"; the event's own time keeps both runs, and every rerun, identical.
    const issuedAt = event.occurredAt ?? event.receivedAt ?? '2000-01-01T00:00:00+00:00';
    // A stored event does not say which connection's country it was issued for; a connection without
    // `country` is Colombian (config.ts), so that is what a replayed event is mapped as.
    const country = options.countryOf?.(event.source) ?? 'CO';
    const input =
      document === 'invoice'
        ? { order: event.payload, issuedAt, shop, country }
        : { order: options.orderOf?.(event.source, event.orderId ?? ''), refund: event.payload, issuedAt, shop, country };
    return { file, kind: 'event', system, event: event.kind, document, input };
  }
  if (isRecord(value) && typeof value.mapping === 'string' && 'input' in value) {
    return { file, kind: 'explicit', mappingId: value.mapping, input: value.input };
  }
  if (isRecord(value) && isRecord(value.document) && (DOCUMENT_KINDS as readonly unknown[]).includes(value.document.kind)) {
    return { file, kind: 'fiscal', document: value.document.kind as DocumentKind, input: value };
  }
  if (isRecord(value) && isRecord(value.order)) {
    const refund = isRecord(value.refund);
    return {
      file,
      kind: 'event',
      system: options.defaultSystem,
      event: refund ? 'order.refunded' : 'order.paid',
      document: refund ? 'credit_note' : 'invoice',
      input: value,
    };
  }
  return { file, reason: 'neither a stored event, a mapping input ({ order, … } or { document, … }) nor { mapping, input }' };
}

export interface StageRun {
  mapping?: { id: string; revision: number; contentHash: string };
  output?: unknown;
  /** The mapping failed, or its output broke the contract of its stage. */
  error?: string;
}

export interface StageDiff {
  /** `fiscal-document`, `apidian invoice`, or a mapping id for explicit inputs. */
  stage: string;
  from: StageRun;
  to: StageRun;
  status: 'unchanged' | 'changed';
  /** Field by field, `expected` is the from-version, `actual` the to-version. */
  changes: GoldenDifference[];
}

export interface DocumentDiff {
  file: string;
  document: DocumentKind | undefined;
  changed: boolean;
  stages: StageDiff[];
}

export interface SetDiffOptions {
  /** Per target system, what a connection's targetSettings would give stage 2 (`target.*` paths). */
  targetSettings?: Record<string, unknown>;
}

/** Stand-ins for what numbering and the ledger add; the same in both runs, so they never show as changes. */
const CORPUS_SERIES = 'CORPUS';
const CORPUS_NUMBER = '1';

function placeholderReference(issuedAt: unknown): DocumentReference {
  const date = typeof issuedAt === 'string' && /^\d{4}-\d{2}-\d{2}/.test(issuedAt) ? issuedAt.slice(0, 10) : '2000-01-01';
  return { documentId: 'corpus-invoice', kind: 'invoice', series: CORPUS_SERIES, number: '0', issueDate: date, uuid: 'corpus-invoice-uuid' };
}

const describe = (mapping: SetMapping) => ({ id: mapping.id, revision: mapping.revision, contentHash: mapping.contentHash });

async function runMapping(mapping: SetMapping | undefined, input: unknown, missing: string): Promise<StageRun> {
  if (!mapping) return { error: `no mapping for ${missing}` };
  try {
    // What the pipeline stores is the JSON form, so compare that.
    return { mapping: describe(mapping), output: JSON.parse(JSON.stringify(await mapping.run(input))) };
  } catch (error) {
    return { mapping: describe(mapping), error: (error as Error).message };
  }
}

/** Every target system either set has a stage-2 mapping for, for this kind. */
function targetSystems(sets: MappingSet[], document: DocumentKind): string[] {
  const systems = new Set<string>();
  for (const set of sets) {
    for (const mapping of set.all) {
      if (mapping.source.system === FISCAL_DOCUMENT && mapping.target.document === document) systems.add(mapping.target.system);
    }
  }
  return [...systems].sort();
}

async function runChain(set: MappingSet, item: CorpusItem, systems: string[], options: SetDiffOptions): Promise<Map<string, StageRun>> {
  const runs = new Map<string, StageRun>();
  if (item.kind === 'explicit') {
    runs.set(item.mappingId, await runMapping(set.byId(item.mappingId), item.input, `id ${item.mappingId}`));
    return runs;
  }
  let fiscal: Record<string, unknown> | undefined;
  let document: DocumentKind;
  if (item.kind === 'event') {
    document = item.document;
    const mapping = set.forSource(item.system, item.event, document);
    const run = await runMapping(mapping, item.input, `${item.system} ${item.event} → ${document}`);
    if (mapping && run.error === undefined) {
      const draft = { ...(run.output as Record<string, unknown>) };
      if (document !== 'invoice' && document !== 'export_invoice' && draft.reference === undefined) {
        draft.reference = placeholderReference(draft.issuedAt);
      }
      const check = checkOutput(mapping, draft, () => undefined);
      if (check?.computed) {
        fiscal = { ...check.computed, series: CORPUS_SERIES, number: CORPUS_NUMBER };
        run.output = check.computed;
      } else if (check && check.problems.length > 0) {
        run.error = `not a valid FiscalDocumentDraft: ${check.problems.slice(0, 3).join('; ')}`;
      }
    }
    runs.set(FISCAL_DOCUMENT, run);
  } else {
    document = item.document;
    fiscal = (item.input as { document: Record<string, unknown> }).document;
  }
  for (const system of systems) {
    const stage = `${system} ${document}`;
    if (!fiscal) {
      runs.set(stage, { error: 'no fiscal document to map (stage 1 failed)' });
      continue;
    }
    const given = item.kind === 'fiscal' ? (item.input as { target?: unknown }).target : undefined;
    const target = given ?? options.targetSettings?.[system] ?? {};
    runs.set(stage, await runMapping(set.forTarget(system, document), { document: fiscal, target }, `fiscal document → ${stage}`));
  }
  return runs;
}

function compare(stage: string, from: StageRun, to: StageRun): StageDiff {
  const changes = from.output !== undefined && to.output !== undefined ? diffJson(from.output, to.output) : [];
  const changed = changes.length > 0 || from.error !== to.error || (from.output === undefined) !== (to.output === undefined);
  return { stage, from, to, status: changed ? 'changed' : 'unchanged', changes };
}

export async function diffMappingSets(from: MappingSet, to: MappingSet, items: readonly CorpusItem[], options: SetDiffOptions = {}): Promise<DocumentDiff[]> {
  const results: DocumentDiff[] = [];
  for (const item of items) {
    const document = item.kind === 'explicit' ? (from.byId(item.mappingId) ?? to.byId(item.mappingId))?.target.document : item.document;
    const systems = item.kind === 'explicit' || document === undefined ? [] : targetSystems([from, to], document);
    const [before, after] = [await runChain(from, item, systems, options), await runChain(to, item, systems, options)];
    const stages = [...new Set([...before.keys(), ...after.keys()])].map((stage) =>
      compare(stage, before.get(stage) ?? { error: 'stage not run' }, after.get(stage) ?? { error: 'stage not run' }),
    );
    results.push({ file: item.file, document, changed: stages.some((s) => s.status === 'changed'), stages });
  }
  return results;
}
