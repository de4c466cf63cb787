/**
 * The embedded default Store: the data lives in memory in lowdb 7's `Low`, and on disk as a JSON
 * snapshot (temp file + fsync + rename + directory fsync, `.bak` of the previous copy; read back through
 * the durable adapter, which falls back to the `.bak`) plus an append-only change log (change-log.ts).
 *
 * Every mutation is applied synchronously to the in-memory data, remembers which records it changed,
 * and then waits for a group commit: all changes made while an append is in flight go to disk together
 * as ONE log line holding the full new version of each changed record, fsynced before anyone is told.
 * A commit therefore costs the size of the change, not of the database. A promise resolves only once a
 * commit containing its change is durable. Reads also wait until what they saw is durable, so no caller
 * acts on state a crash could take back (as with a database's committed reads).
 *
 * Compaction rewrites the snapshot when the log passes a size or commit-count threshold, and at close.
 * It never holds the event loop for long: it captures references to the records at commit C (O(n)
 * pointer copies) and serialises them in slices of a few milliseconds while the server keeps serving
 * (snapshot.ts). That is consistent because stored records are copy-on-write: every mutation puts a new
 * object (or list entry) in its table, so an object captured at C never changes afterwards.
 * Opening reads the snapshot and replays the log lines it does not contain yet.
 *
 * Why replay is safe whatever the moment of a crash: every log line has a commit number and the
 * snapshot records the last commit it contains, so replay skips what the snapshot already has. Replay
 * is also idempotent by construction — lines hold full versions keyed by id, counters only move up
 * (max), allocations are keyed by series and document — so even re-applying lines the snapshot already
 * contains, in order, ends in the same state.
 *
 * The hot set stays small: finished records (documents issued or skipped a day ago, then their events,
 * batches and allocations) move to append-only files under `<dataDir>/archive/` (archive.ts), in the
 * background and in slices. Each slice is appended and fsynced there first, then dropped from the hot
 * set by a commit whose line lists the ids (`archived`), so a crash in between leaves a record in both
 * places and the hot copy wins. Lookups by id, business key, dedupe key (within the redelivery window)
 * and order fall through to the archive's in-memory index and read the record from disk; an update of an
 * archived record puts it back in the hot set first.
 *
 * When an append fails, the waiting promises reject, but the changes stay in memory and the next
 * successful commit persists them. Callers therefore treat a rejection as an unknown outcome and retry;
 * every mutation is keyed or idempotent (dedupeKey, idempotencyKey, allocation per document), so a
 * retry is safe and gapless numbering holds.
 */
import { mkdir, readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Low } from 'lowdb';
import { ARCHIVE_DIR_NAME, RecordArchive, type ArchiveItem, type ArchiveKind, type Location } from './archive.js';
import { ChangeLog, ChangeLogDamagedError, type CommitLine, type LogAppendHook, type LogSegment } from './change-log.js';
import { backupPathFor, DurableJsonFile, UnreadableFileError, writeChunksDurably, type ChunkedFileWriter } from './durable-file.js';
import { newId } from './ids.js';
import { acquireLock, type StoreLock } from './lock.js';
import { snapshotChunks, type SnapshotPart } from './snapshot.js';
import {
  DocumentStatusChangedError,
  RecordNotFoundError,
  type ArchiveScope,
  type BatchQuery,
  type BatchRecord,
  type DocumentQuery,
  type DocumentRecord,
  type DocumentUpdateOptions,
  type EventQuery,
  type ListOrder,
  type RecordedEvent,
  type RecordEventOptions,
  type EventRecord,
  type NewBatch,
  type NewDocument,
  type NewEvent,
  type NumberAllocation,
  type StateEntry,
  type Store,
} from './store.js';

export const DEFAULT_STORE_FILE_NAME = 'puente.json';
export const DEFAULT_LIST_LIMIT = 100;
export const MAX_LIST_LIMIT = 1000;
/** 2: the snapshot is completed by a change log (`logCommit`); 1: the snapshot alone. */
const SCHEMA_VERSION = 2;
/**
 * 128 MiB: a compaction rewrites the whole snapshot, so under sustained load fewer, larger ones cost
 * less per delivery (at 32 MiB they were ≈ 10 % of the ingest CPU in the bench). The price is paid only
 * after a crash: the next start replays up to this much log (≈ 1.5–2.5 s on the 2-core bench machine);
 * a graceful stop compacts at close, so a normal start reads the snapshot alone.
 */
export const DEFAULT_COMPACT_AFTER_BYTES = 128 * 1024 * 1024;
export const DEFAULT_COMPACT_AFTER_COMMITS = 20_000;
/** Issued and skipped documents stay in the hot set this long after their last change. */
export const DEFAULT_ARCHIVE_AFTER_MS = 24 * 60 * 60 * 1000;
/** Shopify redelivers for 48 h; a margin on top. */
export const DEFAULT_DEDUPE_WINDOW_MS = 72 * 60 * 60 * 1000;
export const DEFAULT_ARCHIVE_EVERY_MS = 60 * 1000;
/** Records moved per archive append and hot-set removal, so no step holds the event loop for long. */
export const DEFAULT_ARCHIVE_SLICE_RECORDS = 500;

export interface LowdbStoreOptions {
  dataDir: string;
  fileName?: string;
  clock?: () => Date;
  /**
   * Called with each warning: those raised while opening (recovery from the `.bak` copy, an incomplete
   * last log line) and a failed compaction later on (nothing is lost then: the change log still holds it).
   */
  onWarning?: (message: string) => void;
  /**
   * Replaces the durable snapshot writer (by default writeChunksDurably with a `.bak`); for tests that
   * count, hold or fail snapshot writes. It receives the snapshot as lazily serialised chunks.
   */
  writer?: ChunkedFileWriter;
  /**
   * Serialising a snapshot gives the event loop a turn whenever this many milliseconds of work have
   * passed since the last one. Default 4. 0 gives it a turn after every record.
   */
  snapshotSliceMs?: number;
  /** Wraps each change-log append; for tests that count, delay or fail commits. */
  onLogAppend?: LogAppendHook;
  /** Compact once the change log holds this many bytes. Default 128 MiB. */
  compactAfterBytes?: number;
  /** Compact once the change log holds this many commits. Default 20 000. */
  compactAfterCommits?: number;
  /**
   * When true (the default), a compaction also waits until the log is at least as large as the last
   * snapshot, so rewriting the snapshot never costs more than what was appended since: a commit's
   * amortised cost stays proportional to its size however large the database grows.
   */
  amortiseCompaction?: boolean;
  /**
   * Finished records leave the hot set for the append-only files under `<dataDir>/archive/` this long
   * after their last change (issued/skipped documents; then their events and batches; allocations of
   * archived documents). Default one day. They stay readable by id, key and order.
   */
  archiveAfterMs?: number;
  /**
   * Dedupe keys of archived events are kept this long after the delivery was received (the longest
   * redelivery window of a source), then forgotten; a later delivery is still caught by the document's
   * business key. Default 72 hours.
   */
  dedupeWindowMs?: number;
  /** How often archiving runs in the background. Default one minute; 0 leaves it to archiveNow(). */
  archiveEveryMs?: number;
  /** Records moved per step of archiving. Default 500. */
  archiveSliceRecords?: number;
}

/** What one archiving pass moved out of the hot set. */
export interface ArchiveSummary {
  documents: number;
  events: number;
  batches: number;
  allocations: number;
  /** Dedupe keys of archived events forgotten because their redelivery window had passed. */
  dedupeKeysDropped: number;
}

type ArchivedTable = Exclude<ArchiveKind, 'allocations'>;
type TableRecord<K extends ArchivedTable> = K extends 'events' ? EventRecord : K extends 'documents' ? DocumentRecord : BatchRecord;

function addTo(map: Map<string, Set<string>>, key: string, id: string): void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(id);
}

function removeFrom(map: Map<string, Set<string>>, key: string, id: string): void {
  const set = map.get(key);
  if (!set) return;
  set.delete(id);
  if (set.size === 0) map.delete(key);
}

/** The hot records of one order through the order index, or every hot record when no order is asked for. */
function hotOfOrder<T>(table: Record<string, T>, byOrder: Map<string, Set<string>>, orderId: string | undefined): T[] {
  if (orderId === undefined) return Object.values(table);
  const found: T[] = [];
  for (const id of byOrder.get(orderId) ?? []) {
    const record = table[id];
    if (record) found.push(record);
  }
  return found;
}

/** The archived entries listed by `ids` (an order's), skipping any the index no longer has. */
function idsIn<M>(entries: Map<string, M>, ids: readonly string[]): M[] {
  const found: M[] = [];
  for (const id of ids) {
    const entry = entries.get(id);
    if (entry) found.push(entry);
  }
  return found;
}

export interface StoreData {
  schemaVersion: number;
  events: Record<string, EventRecord>;
  documents: Record<string, DocumentRecord>;
  batches: Record<string, BatchRecord>;
  /** seriesKey → last number allocated. */
  counters: Record<string, number>;
  /** seriesKey → allocations in the order they were made. */
  allocations: Record<string, NumberAllocation[]>;
  /** Keyed state (cursors, sessions, saved settings). Absent in files written before it existed. */
  state: Record<string, StateEntry>;
  /**
   * Archive file name → bytes synced to it before records left the hot set. At open, a file missing or
   * shorter than this lost records that exist nowhere else. Absent in files written before the archive.
   */
  archiveFiles: Record<string, number>;
  /** The last change-log commit this snapshot contains; replay starts after it. */
  logCommit?: number;
}

/** One group commit as a log line: the full new version of everything it changed. */
interface StoreCommit extends CommitLine {
  events?: EventRecord[];
  documents?: DocumentRecord[];
  batches?: BatchRecord[];
  /** seriesKey → last number allocated. */
  counters?: Record<string, number>;
  allocations?: NumberAllocation[];
  /** New versions of state entries; `{key, deleted: true}` removes one. */
  state?: (StateEntry | { key: string; deleted: true })[];
  /** Records that moved to the archive (their lines are fsynced there) and leave the hot set. Applied first. */
  archived?: ArchivedIds;
}

interface ArchivedIds {
  /** Archive file name → its synced size when these records left the hot set. */
  files?: Record<string, number>;
  events?: string[];
  documents?: string[];
  batches?: string[];
  allocations?: { seriesKey: string; documentId: string }[];
}

/** What changed since the last commit line was taken. */
interface PendingChanges {
  events: Set<string>;
  documents: Set<string>;
  batches: Set<string>;
  counters: Set<string>;
  allocations: NumberAllocation[];
  state: Set<string>;
  archived: {
    files: Map<string, number>;
    events: Set<string>;
    documents: Set<string>;
    batches: Set<string>;
    allocations: { seriesKey: string; documentId: string }[];
  };
}

function noChanges(): PendingChanges {
  return {
    events: new Set(),
    documents: new Set(),
    batches: new Set(),
    counters: new Set(),
    allocations: [],
    state: new Set(),
    archived: { files: new Map(), events: new Set(), documents: new Set(), batches: new Set(), allocations: [] },
  };
}

/** A method was called on a store that is not open (never opened, or closed). */
export class StoreClosedError extends Error {
  constructor(state: 'not_open' | 'closed', method: string) {
    super(
      state === 'closed'
        ? `The store is closed; ${method}() cannot run. Open a new store instance.`
        : `The store is not open yet; call open() before ${method}().`,
    );
    this.name = 'StoreClosedError';
  }
}

/** Bad arguments to a store method (empty key, bad limit, non-JSON payload…). */
export class StoreInputError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'StoreInputError';
  }
}

function emptyData(): StoreData {
  return { schemaVersion: SCHEMA_VERSION, events: {}, documents: {}, batches: {}, counters: {}, allocations: {}, state: {}, archiveFiles: {} };
}

/**
 * What a snapshot of the store at commit `logCommit` serialises, captured synchronously: references to
 * the records (which are copy-on-write), shallow copies of the counters and of each append-only
 * allocation list. O(n) pointer copies, no stringify.
 */
export function captureStoreSnapshot(
  data: Pick<StoreData, 'events' | 'documents' | 'batches' | 'counters' | 'allocations' | 'state'> & Partial<Pick<StoreData, 'archiveFiles'>>,
  logCommit: number,
): SnapshotPart[] {
  return [
    { key: 'schemaVersion', kind: 'value', value: SCHEMA_VERSION },
    tableRecords('events', data.events),
    tableRecords('documents', data.documents),
    tableRecords('batches', data.batches),
    { key: 'counters', kind: 'value', value: { ...data.counters } },
    { key: 'allocations', kind: 'lists', entries: Object.entries(data.allocations).map(([key, list]) => [key, list.slice()] as const) },
    { key: 'state', kind: 'value', value: { ...data.state } },
    { key: 'archiveFiles', kind: 'value', value: { ...data.archiveFiles } },
    { key: 'logCommit', kind: 'value', value: logCommit },
  ];
}

function tableRecords(key: string, table: Record<string, object>): SnapshotPart {
  const ids = Object.keys(table);
  return { key, kind: 'records', ids, records: ids.map((id) => table[id]) };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function validateStoreData(value: unknown): StoreData {
  if (!isPlainObject(value)) throw new Error('is not a Puente store (expected a JSON object)');
  if (typeof value.schemaVersion !== 'number') throw new Error('is not a Puente store (no schemaVersion)');
  if (value.schemaVersion > SCHEMA_VERSION) {
    throw new Error(`was written by a newer Puente (format ${value.schemaVersion}; this one reads ${SCHEMA_VERSION})`);
  }
  for (const key of ['events', 'documents', 'batches', 'counters', 'allocations'] as const) {
    if (!isPlainObject(value[key])) throw new Error(`is damaged: "${key}" is missing or not an object`);
  }
  value.state ??= {};
  if (!isPlainObject(value.state)) throw new Error('is damaged: "state" is not an object');
  value.archiveFiles ??= {};
  if (!isPlainObject(value.archiveFiles) || !Object.values(value.archiveFiles).every((n) => Number.isSafeInteger(n))) {
    throw new Error('is damaged: "archiveFiles" is not a map of file sizes');
  }
  if (value.logCommit !== undefined && !(Number.isSafeInteger(value.logCommit) && (value.logCommit as number) >= 0)) {
    throw new Error('is damaged: "logCommit" is not a commit number');
  }
  return value as unknown as StoreData;
}

const hasStringId = (value: unknown) => isPlainObject(value) && typeof value.id === 'string';
const isAllocation = (value: unknown) =>
  isPlainObject(value) &&
  typeof value.seriesKey === 'string' &&
  Number.isSafeInteger(value.number) &&
  typeof value.documentId === 'string';

/** Why a commit line cannot be applied, or undefined when it has the right shape. */
function commitShapeProblem(commit: StoreCommit): string | undefined {
  for (const key of ['events', 'documents', 'batches'] as const) {
    const records: unknown = commit[key];
    if (records !== undefined && !(Array.isArray(records) && records.every(hasStringId))) {
      return `has a damaged "${key}" list`;
    }
  }
  const counters: unknown = commit.counters;
  if (counters !== undefined && !(isPlainObject(counters) && Object.values(counters).every((n) => Number.isSafeInteger(n)))) {
    return 'has damaged "counters"';
  }
  const allocations: unknown = commit.allocations;
  if (allocations !== undefined && !(Array.isArray(allocations) && allocations.every(isAllocation))) {
    return 'has a damaged "allocations" list';
  }
  const state: unknown = commit.state;
  if (state !== undefined && !(Array.isArray(state) && state.every((entry) => isPlainObject(entry) && typeof entry.key === 'string'))) {
    return 'has a damaged "state" list';
  }
  const archived: unknown = commit.archived;
  if (archived !== undefined) {
    const ids = (list: unknown) => list === undefined || (Array.isArray(list) && list.every((id) => typeof id === 'string'));
    const ok =
      isPlainObject(archived) &&
      (archived.files === undefined || (isPlainObject(archived.files) && Object.values(archived.files).every((n) => Number.isSafeInteger(n)))) &&
      ids(archived.events) &&
      ids(archived.documents) &&
      ids(archived.batches) &&
      (archived.allocations === undefined ||
        (Array.isArray(archived.allocations) &&
          archived.allocations.every((a) => isPlainObject(a) && typeof a.seriesKey === 'string' && typeof a.documentId === 'string')));
    if (!ok) return 'has a damaged "archived" list';
  }
  return undefined;
}

interface Waiter {
  seq: number;
  resolve: () => void;
  reject: (error: Error) => void;
}

const seriesDocKey = (seriesKey: string, documentId: string) => `${seriesKey}\u0000${documentId}`;

function requireText(field: string, value: unknown): void {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new StoreInputError(field, 'must be a non-empty string');
  }
}

function requireInstant(field: string, value: unknown): void {
  if (typeof value !== 'string' || Number.isNaN(Date.parse(value))) {
    throw new StoreInputError(field, 'must be an ISO 8601 timestamp such as 2026-01-31T12:00:00.000Z');
  }
}

/** The JSON text of a value the caller hands in; refuses what JSON cannot hold. */
function jsonText(field: string, value: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    const why = error instanceof Error ? error.message.split('\n')[0] : 'not serialisable';
    throw new StoreInputError(field, `must be JSON-serialisable (${why})`);
  }
  if (text === undefined) throw new StoreInputError(field, 'must be JSON-serialisable (got nothing to store)');
  return text;
}

/** What goes into the file is exactly what stays in memory: a JSON round trip drops undefined and turns Dates into strings. */
function toStored<T>(field: string, value: T): T {
  return JSON.parse(jsonText(field, value)) as T;
}

/**
 * A new record — the caller's input as stored, then the fields the store sets — with its JSON text.
 * When none of those fields is in the input (the usual case) the text is spliced from the input's text,
 * which is exactly what JSON.stringify of the record gives, so a large payload is stringified once per
 * create instead of again for its commit line — or not at all, when the caller gives the payload as
 * JSON text (`payloadText`).
 */
function newRecord<T extends object>(
  field: string,
  input: object,
  ownFields: (stored: Record<string, unknown>) => Record<string, unknown>,
  handover: { handedOver?: boolean; payloadText?: string | undefined } = {},
): { record: T; text: string } {
  const { inputText, stored } = inputAsStored(field, input, handover);
  // A field the input already holds with the same value (a status the caller chose) is not the store's to add.
  const own = withoutFieldsHeld(ownFields(stored), stored);
  const record = { ...stored, ...own } as T;
  const clash = !inputText.startsWith('{') || Object.keys(own).some((key) => Object.hasOwn(stored, key) || own[key] === undefined);
  if (clash) return { record, text: JSON.stringify(record) };
  const ownText = JSON.stringify(own);
  return { record, text: inputText === '{}' ? ownText : `${inputText.slice(0, -1)},${ownText.slice(1)}` };
}

const LINE_BREAK = /[\n\r]/;

/**
 * A payload the store holds as the JSON text it was handed, parsed only when the record is read
 * (`readableCopy`); record texts splice the text in (`recordJson`). `toJSON` is a guard: a plain
 * JSON.stringify of a record still writes the value it stands for, never `{"text": …}`.
 */
class PayloadText {
  constructor(readonly text: string) {}
  toJSON(): unknown {
    return JSON.parse(this.text);
  }
}

/** `JSON.stringify(record)`, with a payload held as text spliced in as it is. */
function recordJson(record: object): string {
  const payload = (record as { payload?: unknown }).payload;
  if (!(payload instanceof PayloadText)) return JSON.stringify(record);
  const { payload: _text, ...rest } = record as Record<string, unknown>;
  return withPayloadText(JSON.stringify(rest), payload.text);
}

/** The text of an object, `objectText`, with a last member `payload` whose text is `payloadText`. */
function withPayloadText(objectText: string, payloadText: string): string {
  return objectText === '{}' ? `{"payload":${payloadText}}` : `${objectText.slice(0, -1)},"payload":${payloadText}}`;
}

/** The caller's copy of a stored record: a payload held as text is parsed into the copy. */
function readableCopy<T extends object>(record: T): T {
  const payload = (record as { payload?: unknown }).payload;
  if (!(payload instanceof PayloadText)) return structuredClone(record);
  return { ...structuredClone({ ...record, payload: null }), payload: JSON.parse(payload.text) as unknown };
}

/**
 * The input as the store keeps it, and a JSON text of it. Input handed over (the caller never touches
 * it again) is kept as it is when it is plain JSON data — exactly what parsing its text back would
 * give — instead of being parsed back from the text. A payload given as text is held as that text (and
 * is that text's part of the record's text), unless the text spans lines.
 */
function inputAsStored(
  field: string,
  input: object,
  { handedOver = false, payloadText }: { handedOver?: boolean; payloadText?: string | undefined },
): { inputText: string; stored: Record<string, unknown> } {
  if (payloadText !== undefined) {
    const { payload: _notRead, ...rest } = input as Record<string, unknown>;
    // A text that spans lines (whitespace between tokens) would break the one-commit-per-line log.
    if (LINE_BREAK.test(payloadText)) return inputAsStored(field, { ...rest, payload: JSON.parse(payloadText) as unknown }, { handedOver });
    const restText = jsonText(field, rest);
    const restStored = handedOver && isPlainJson(rest, 0) ? rest : (JSON.parse(restText) as Record<string, unknown>);
    const inputText = withPayloadText(restText, payloadText);
    // The payload is not kept parsed: a hot set of parsed payloads is most of what the garbage collector
    // copies and walks. It is parsed when the record is read (readableCopy).
    return { inputText, stored: { ...restStored, payload: new PayloadText(payloadText) } };
  }
  const inputText = jsonText(field, input);
  const stored = (handedOver && isPlainJson(input, 0) ? { ...input } : JSON.parse(inputText)) as Record<string, unknown>;
  return { inputText, stored };
}

function withoutFieldsHeld(own: Record<string, unknown>, stored: Record<string, unknown>): Record<string, unknown> {
  const added: Record<string, unknown> = {};
  for (const key of Object.keys(own)) if (!(Object.hasOwn(stored, key) && stored[key] === own[key])) added[key] = own[key];
  return added;
}

/** Deeper than any payload a source hands over; past it the input is copied through its text instead. */
const MAX_HANDED_OVER_DEPTH = 100;

/**
 * Whether `value` is what JSON.parse could have returned: plain objects and arrays (no holes), strings,
 * finite numbers but -0, booleans and null — so it and its JSON text say exactly the same thing.
 */
function isPlainJson(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      // JSON writes -0 as 0 and a non-finite number as null: neither reads back as it is.
      return Number.isFinite(value) && !Object.is(value, -0);
    case 'object': {
      if (value === null) return true;
      if (depth >= MAX_HANDED_OVER_DEPTH) return false;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) if (!isPlainJson(value[i], depth + 1)) return false;
        return true;
      }
      const prototype = Object.getPrototypeOf(value) as unknown;
      if (prototype !== Object.prototype && prototype !== null) return false;
      for (const key in value) if (!isPlainJson((value as Record<string, unknown>)[key], depth + 1)) return false;
      return true;
    }
    default:
      return false;
  }
}

/** A recordEvent answer whose copy of the record is made only if someone reads it. */
function recorded(record: EventRecord, duplicate: boolean, copy: () => EventRecord): RecordedEvent {
  let made: EventRecord | undefined;
  return {
    id: record.id,
    status: record.status,
    duplicate,
    get event() {
      return (made ??= copy());
    },
  };
}

function pageLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_LIST_LIMIT;
  if (!Number.isInteger(limit) || limit < 1) throw new StoreInputError('limit', `must be a positive integer, got ${limit}`);
  return Math.min(limit, MAX_LIST_LIMIT);
}

function archiveScope(query: { archived?: unknown; orderId?: unknown }): { hot: boolean; archive: boolean } {
  const scope = query.archived as ArchiveScope | undefined;
  if (scope !== undefined && scope !== 'include' && scope !== 'only') {
    throw new StoreInputError('archived', `must be "include" or "only" (or left out for the hot set alone), got ${JSON.stringify(scope)}`);
  }
  return { hot: scope !== 'only', archive: scope !== undefined || query.orderId !== undefined };
}

/**
 * A page of records in time order — newest first by default (the admin views), oldest first for work
 * queues, which must reach the records that have waited longest however many came after them. Each
 * instant is parsed once (an archive can hold 100 000 entries).
 */
function pageInOrder<T extends { id: string }>(items: T[], instant: (item: T) => string, order: ListOrder | undefined, limit: number): T[] {
  if (order !== undefined && order !== 'newest' && order !== 'oldest') throw new StoreInputError('order', `must be "newest" or "oldest", got ${String(order)}`);
  const sign = order === 'oldest' ? -1 : 1;
  const timed = items.map((item) => ({ item, t: Date.parse(instant(item)) }));
  timed.sort((a, b) => {
    const diff = b.t - a.t;
    if (diff !== 0 && !Number.isNaN(diff)) return sign * diff;
    // Ids are time-sortable and monotonic, so they order records created within the same instant.
    return sign * (a.item.id < b.item.id ? 1 : a.item.id > b.item.id ? -1 : 0);
  });
  return timed.slice(0, limit).map(({ item }) => item);
}

/** Gives the event loop a turn: long passes over the hot set run in slices, as compaction does. */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
const ARCHIVE_SCAN_SLICE_MS = 4;

/**
 * The record with a shallow patch applied, as a NEW object: stored records are never mutated, so a
 * snapshot that captured the old object still serialises it as it was (copy-on-write). A key patched to
 * `undefined` is removed, as it would be after a reload. Fields that identify a record may appear in a
 * patch only with their current value.
 */
function patched<T extends object>(
  collection: string,
  record: T,
  patch: object,
  immutable: readonly string[],
  updatedAt: string,
): T {
  const current = record as Record<string, unknown>;
  for (const [key, value] of Object.entries(patch)) {
    if (immutable.includes(key) && value !== undefined && value !== current[key]) {
      throw new StoreInputError(key, `cannot be changed on a ${collection} once set (was ${String(current[key])})`);
    }
  }
  const stored = toStored('patch', patch) as Record<string, unknown>;
  const next: Record<string, unknown> = { ...current };
  for (const key of Object.keys(patch)) {
    if (immutable.includes(key)) continue;
    if (key in stored) next[key] = stored[key];
    else delete next[key];
  }
  next.updatedAt = updatedAt;
  return next as T;
}

export class LowdbStore implements Store {
  readonly dataDir: string;
  readonly filePath: string;
  private readonly clock: () => Date;
  private readonly adapter: DurableJsonFile<StoreData>;
  private readonly db: Low<StoreData>;
  private readonly log: ChangeLog;
  private readonly compactAfterBytes: number;
  private readonly compactAfterCommits: number;
  private readonly amortiseCompaction: boolean;
  private readonly snapshotSliceMs: number | undefined;
  private readonly snapshotWriter: ChunkedFileWriter;
  /** Size of the snapshot on disk (or being written), for amortised compaction. */
  private snapshotBytes = 0;
  private readonly openWarnings: string[] = [];
  private state: 'new' | 'opening' | 'open' | 'closed' = 'new';
  private lock: StoreLock | undefined;

  private readonly eventIdByDedupeKey = new Map<string, string>();
  private readonly documentIdByKey = new Map<string, string>();
  private readonly allocatedNumber = new Map<string, number>();
  /**
   * orderId → ids of the hot records of that order. The ledger lists an order's documents for every
   * event it handles; without this, that cost grows with the hot set. A record whose orderId was patched
   * leaves a stale id behind, which the query's own orderId check filters out.
   */
  private readonly hotDocumentsByOrder = new Map<string, Set<string>>();
  private readonly hotEventsByOrder = new Map<string, Set<string>>();
  /**
   * The JSON text of records changed since their commit line was written, so the line reuses it rather
   * than stringifying a large payload again. Records are never mutated, so a text stays exact for its object.
   */
  private readonly recordText = new WeakMap<object, string>();

  // Group commit: every mutation takes the next sequence number; a write covers everything applied
  // before it started. `durableSeq` is the highest sequence number known to be on disk.
  private appliedSeq = 0;
  private durableSeq = 0;
  private waiters: Waiter[] = [];
  private flushing: Promise<void> | undefined;

  // Change log. `lastCommit` is the highest commit number handed out; a failed append burns its number,
  // so a half-written line can never share a number with a later one.
  private lastCommit = 0;
  private pending = noChanges();
  /** An append failed and may have left part of a line: the log must be replaced before the next append. */
  private logBroken = false;
  /** The snapshot write of the last compaction, running in the background; never rejects. */
  private snapshotting: Promise<void> = Promise.resolve();
  /** The last snapshot write failed, so the retired log is still needed and must not be rotated away. */
  private snapshotBehind = false;

  // Archive: finished records live in append-only files under <dataDir>/archive/, indexed in memory.
  private readonly archive: RecordArchive;
  private readonly archiveAfterMs: number;
  private readonly dedupeWindowMs: number;
  private readonly archiveEveryMs: number;
  private readonly archiveSliceRecords: number;
  private archiveTimer: NodeJS.Timeout | undefined;
  /** The running (or last) archiving pass; passes run one after the other. Never rejects. */
  private archiving: Promise<unknown> = Promise.resolve();
  private archiveStopping = false;

  constructor(private readonly options: LowdbStoreOptions) {
    if (!options || typeof options.dataDir !== 'string' || options.dataDir === '') {
      throw new StoreInputError('dataDir', 'must be the path of the directory where Puente keeps its data');
    }
    this.dataDir = options.dataDir;
    this.filePath = join(options.dataDir, options.fileName ?? DEFAULT_STORE_FILE_NAME);
    this.clock = options.clock ?? (() => new Date());
    // The adapter only reads (with its `.bak` fall back); snapshots are written by writeSnapshot.
    this.adapter = new DurableJsonFile<StoreData>(this.filePath, { validate: validateStoreData, now: this.clock });
    this.snapshotWriter = options.writer ?? ((path, chunks) => writeChunksDurably(path, chunks, { backupPath: backupPathFor(path) }));
    this.db = new Low<StoreData>(this.adapter, emptyData());
    this.log = new ChangeLog(this.filePath, options.onLogAppend ? { onAppend: options.onLogAppend } : {});
    this.compactAfterBytes = positiveLimit('compactAfterBytes', options.compactAfterBytes, DEFAULT_COMPACT_AFTER_BYTES);
    this.compactAfterCommits = positiveLimit('compactAfterCommits', options.compactAfterCommits, DEFAULT_COMPACT_AFTER_COMMITS);
    this.amortiseCompaction = options.amortiseCompaction ?? true;
    if (options.snapshotSliceMs !== undefined && !(Number.isFinite(options.snapshotSliceMs) && options.snapshotSliceMs >= 0)) {
      throw new StoreInputError('snapshotSliceMs', `must be a number of milliseconds ≥ 0, got ${options.snapshotSliceMs}`);
    }
    this.snapshotSliceMs = options.snapshotSliceMs;
    this.archiveAfterMs = nonNegativeMs('archiveAfterMs', options.archiveAfterMs, DEFAULT_ARCHIVE_AFTER_MS);
    this.dedupeWindowMs = nonNegativeMs('dedupeWindowMs', options.dedupeWindowMs, DEFAULT_DEDUPE_WINDOW_MS);
    this.archiveEveryMs = nonNegativeMs('archiveEveryMs', options.archiveEveryMs, DEFAULT_ARCHIVE_EVERY_MS);
    this.archiveSliceRecords = positiveLimit('archiveSliceRecords', options.archiveSliceRecords, DEFAULT_ARCHIVE_SLICE_RECORDS);
    this.archive = new RecordArchive(options.dataDir, { clock: this.clock });
  }

  /** The directory of the archive files. */
  get archiveDir(): string {
    return join(this.dataDir, ARCHIVE_DIR_NAME);
  }

  /** The change log file, next to the snapshot. */
  get logPath(): string {
    return this.log.path;
  }

  /** Warnings raised by open(), e.g. that the main file was damaged and the `.bak` copy was used. */
  get warnings(): readonly string[] {
    return this.openWarnings;
  }

  async open(): Promise<void> {
    if (this.state === 'open') return;
    if (this.state === 'closed') throw new StoreClosedError('closed', 'open');
    if (this.state === 'opening') throw new Error('open() is already in progress on this store instance.');
    this.state = 'opening';
    try {
      await mkdir(this.dataDir, { recursive: true });
      this.lock = await acquireLock(this.dataDir);
      await this.readSnapshot();
      const read = this.adapter.lastRead;
      const segments = await this.log.read();
      if (read?.from === 'none') await this.refuseToStartOver(segments);
      const replayWarnings: string[] = [];
      const replayed = this.replay(segments, replayWarnings);
      if (read?.recovery) this.openWarning(this.recoveryMessage(read.recovery, replayed, replayWarnings.length > 0));
      for (const warning of replayWarnings) this.openWarning(warning);
      this.rebuildIndexes();
      for (const warning of await this.archive.open(this.clock().getTime() - this.dedupeWindowMs, this.db.data.archiveFiles)) this.openWarning(warning);
      const current = segments.find((segment) => segment.path === this.log.path);
      const clean =
        read?.from === 'main' &&
        replayed === 0 &&
        current !== undefined &&
        current.after !== undefined &&
        current.commits.length === 0 &&
        segments.every((segment) => !segment.torn);
      if (clean) {
        this.snapshotBytes = await stat(this.filePath).then((s) => s.size, () => 0);
        await this.log.resume(current.bytes, 0);
      } else {
        // Fold what was replayed into a fresh snapshot and start an empty log: this also puts a good main
        // file back after a fall back to `.bak`, and drops an incomplete last line before anything is
        // appended after it.
        await this.compactAndReset();
      }
      // close() may have been called while we were opening; it wins.
      if (this.wasClosed()) throw new StoreClosedError('closed', 'open');
      this.state = 'open';
      if (this.archiveEveryMs > 0) {
        this.archiveTimer = setInterval(() => void this.archiveNow().catch(() => undefined), this.archiveEveryMs);
        this.archiveTimer.unref();
      }
    } catch (error) {
      if (!this.wasClosed()) this.state = 'new';
      await this.log.close().catch(() => undefined);
      await this.archive.close();
      await this.lock?.release();
      this.lock = undefined;
      throw error;
    }
  }

  async close(): Promise<void> {
    if (this.state !== 'open') {
      this.state = 'closed';
      return;
    }
    this.state = 'closed';
    this.archiveStopping = true;
    clearInterval(this.archiveTimer);
    try {
      // A pass stops at its next step; what it appended but did not drop from the hot set yet stays hot.
      await this.archiving;
      if (this.durableSeq < this.appliedSeq || this.flushing) await this.waitDurable(this.appliedSeq);
      // The commit loop may still be compacting after the last waiter was answered.
      await this.flushing;
      await this.compactAtClose();
    } finally {
      await this.flushing;
      await this.snapshotting;
      await this.log.close().catch(() => undefined);
      await this.archive.close();
      await this.lock?.release();
      this.lock = undefined;
    }
  }

  // ─── inbox ───────────────────────────────────────────────────────────────────────────────────

  async recordEvent(event: NewEvent, options: RecordEventOptions = {}): Promise<RecordedEvent> {
    const data = this.data('recordEvent');
    requireText('dedupeKey', event?.dedupeKey);
    requireInstant('receivedAt', event.receivedAt);
    let existingId = this.eventIdByDedupeKey.get(event.dedupeKey);
    if (existingId === undefined) {
      // A redelivery of an archived event, inside the redelivery window: it comes back to the hot set.
      const archivedId = this.archive.eventIdForDedupeKey(event.dedupeKey);
      if (archivedId !== undefined) {
        await this.bringBack('events', archivedId);
        existingId = archivedId;
      }
    }
    if (existingId !== undefined) {
      const existing = this.data('recordEvent').events[existingId]!;
      const counted: EventRecord = { ...existing, deliveries: existing.deliveries + 1, updatedAt: this.now() };
      data.events[existingId] = counted;
      this.pending.events.add(existingId);
      await this.commit();
      return recorded(counted, true, () => readableCopy(counted));
    }
    const { record, text } = newRecord<EventRecord>(
      'event',
      event,
      (stored) => ({
        id: newId('evt'),
        status: stored.status ?? 'received',
        documentIds: [],
        deliveries: 1,
        updatedAt: this.now(),
      }),
      { handedOver: options.handOver, payloadText: options.payloadText },
    );
    data.events[record.id] = record;
    this.pending.events.add(record.id);
    this.eventIdByDedupeKey.set(record.dedupeKey, record.id);
    addTo(this.hotEventsByOrder, record.orderId, record.id);
    this.recordText.set(record, text);
    await this.commit();
    return recorded(record, false, () => JSON.parse(text) as EventRecord);
  }

  async getEvent(id: string): Promise<EventRecord | undefined> {
    const record = this.data('getEvent').events[id] ?? (await this.readArchived('events', id));
    return this.readResult(record && readableCopy(record));
  }

  async listEvents(query: EventQuery = {}): Promise<EventRecord[]> {
    this.data('listEvents');
    const limit = pageLimit(query.limit);
    const scope = archiveScope(query);
    const matches = (e: Pick<EventRecord, 'status' | 'source' | 'orderId'>) =>
      (query.status === undefined || e.status === query.status) &&
      (query.source === undefined || e.source === query.source) &&
      (query.orderId === undefined || e.orderId === query.orderId);
    const archived = scope.archive
      ? await this.archivedPage('events', query.orderId === undefined ? this.archive.events.values() : idsIn(this.archive.events, this.archive.eventIdsOf(query.orderId)), matches, (e) => e.receivedAt, query.order, limit)
      : [];
    const data = this.data('listEvents');
    const hot = scope.hot ? hotOfOrder(data.events, this.hotEventsByOrder, query.orderId).filter(matches) : [];
    const page = pageInOrder([...hot, ...archived.filter((e) => !(e.id in data.events))], (e) => e.receivedAt, query.order, limit);
    return this.readResult(page.map((e) => readableCopy(e)));
  }

  async updateEvent(id: string, patch: Partial<Omit<EventRecord, 'id' | 'dedupeKey'>>): Promise<EventRecord> {
    if (!(id in this.data('updateEvent').events)) await this.bringBack('events', id);
    const events = this.data('updateEvent').events;
    const current = events[id];
    if (!current) throw new RecordNotFoundError('event', id);
    if (patch.receivedAt !== undefined) requireInstant('receivedAt', patch.receivedAt);
    const record = patched('event', current, patch, ['id', 'dedupeKey'], this.now());
    events[id] = record;
    addTo(this.hotEventsByOrder, record.orderId, id);
    this.pending.events.add(id);
    const copy = this.remember(record);
    await this.commit();
    return copy;
  }

  // ─── documents ───────────────────────────────────────────────────────────────────────────────

  async createDocument(document: NewDocument): Promise<{ document: DocumentRecord; duplicate: boolean }> {
    const data = this.data('createDocument');
    requireText('idempotencyKey', document?.idempotencyKey);
    const existingId = this.documentIdByKey.get(document.idempotencyKey);
    if (existingId !== undefined) {
      return { document: await this.readResult(structuredClone(data.documents[existingId]!)), duplicate: true };
    }
    const archivedId = this.archive.documentIdByKey.get(document.idempotencyKey);
    if (archivedId !== undefined) {
      const archived = await this.readArchived('documents', archivedId);
      if (archived) return { document: await this.readResult(structuredClone(archived)), duplicate: true };
    }
    const now = this.now();
    const { record, text } = newRecord<DocumentRecord>('document', document, (stored) => ({
      id: newId('doc'),
      status: stored.status ?? 'pending',
      attempts: 0,
      createdAt: now,
      updatedAt: now,
    }));
    data.documents[record.id] = record;
    this.pending.documents.add(record.id);
    this.documentIdByKey.set(record.idempotencyKey, record.id);
    addTo(this.hotDocumentsByOrder, record.orderId, record.id);
    const copy = this.remember(record, text);
    await this.commit();
    return { document: copy, duplicate: false };
  }

  async getDocument(id: string): Promise<DocumentRecord | undefined> {
    const record = this.data('getDocument').documents[id] ?? (await this.readArchived('documents', id));
    return this.readResult(record && structuredClone(record));
  }

  async findDocumentByKey(idempotencyKey: string): Promise<DocumentRecord | undefined> {
    const data = this.data('findDocumentByKey');
    const id = this.documentIdByKey.get(idempotencyKey) ?? this.archive.documentIdByKey.get(idempotencyKey);
    const record = id === undefined ? undefined : (data.documents[id] ?? (await this.readArchived('documents', id)));
    return this.readResult(record && structuredClone(record));
  }

  async listDocuments(query: DocumentQuery = {}): Promise<DocumentRecord[]> {
    this.data('listDocuments');
    const limit = pageLimit(query.limit);
    const scope = archiveScope(query);
    const matches = (d: Pick<DocumentRecord, 'status' | 'connectionId' | 'orderId' | 'kind'>) =>
      (query.status === undefined || d.status === query.status) &&
      (query.connectionId === undefined || d.connectionId === query.connectionId) &&
      (query.orderId === undefined || d.orderId === query.orderId) &&
      (query.kind === undefined || d.kind === query.kind);
    const archived = scope.archive
      ? await this.archivedPage('documents', query.orderId === undefined ? this.archive.documents.values() : idsIn(this.archive.documents, this.archive.documentIdsOf(query.orderId)), matches, (d) => d.createdAt, query.order, limit)
      : [];
    const data = this.data('listDocuments');
    const hot = scope.hot ? hotOfOrder(data.documents, this.hotDocumentsByOrder, query.orderId).filter(matches) : [];
    const page = pageInOrder([...hot, ...archived.filter((d) => !(d.id in data.documents))], (d) => d.createdAt, query.order, limit);
    return this.readResult(page.map((d) => structuredClone(d)));
  }

  async updateDocument(
    id: string,
    patch: Partial<Omit<DocumentRecord, 'id' | 'idempotencyKey' | 'number'>>,
    options: DocumentUpdateOptions = {},
  ): Promise<DocumentRecord> {
    if (!(id in this.data('updateDocument').documents)) await this.bringBack('documents', id);
    const documents = this.data('updateDocument').documents;
    const current = documents[id];
    if (!current) throw new RecordNotFoundError('document', id);
    // No await from here to the write: the check and the change are one step.
    if (options.ifStatus !== undefined && current.status !== options.ifStatus) throw new DocumentStatusChangedError(id, options.ifStatus, current.status);
    // `number` changes only through allocateNumber, in the same write as its allocation.
    const record = patched('document', current, patch, ['id', 'idempotencyKey', 'number'], this.now());
    documents[id] = record;
    addTo(this.hotDocumentsByOrder, record.orderId, id);
    this.pending.documents.add(id);
    const copy = this.remember(record);
    await this.commit();
    return copy;
  }

  async allocateNumber(seriesKey: string, documentId: string, firstNumber: number): Promise<number> {
    let data = this.data('allocateNumber');
    requireText('seriesKey', seriesKey);
    if (!Number.isSafeInteger(firstNumber) || firstNumber < 0) {
      throw new StoreInputError('firstNumber', `must be a non-negative integer, got ${firstNumber}`);
    }
    const key = seriesDocKey(seriesKey, documentId);
    const already = this.allocatedNumber.get(key) ?? this.archive.allocatedNumber.get(key);
    if (already !== undefined) return this.readResult(already);
    if (!(documentId in data.documents) && this.archive.documents.has(documentId)) {
      await this.bringBack('documents', documentId);
      // Another call may have numbered it meanwhile.
      const now = this.allocatedNumber.get(key) ?? this.archive.allocatedNumber.get(key);
      if (now !== undefined) return this.readResult(now);
      data = this.data('allocateNumber');
    }

    const document = data.documents[documentId];
    if (!document) throw new RecordNotFoundError('document', documentId);
    if (document.number !== undefined) {
      throw new StoreInputError(
        'number',
        `document ${documentId} already has number ${document.number} from another series; a document is numbered once`,
      );
    }
    const last = data.counters[seriesKey];
    const next = last === undefined ? firstNumber : Math.max(last + 1, firstNumber);
    const now = this.now();
    const allocation: NumberAllocation = { seriesKey, number: next, documentId, allocatedAt: now };
    data.counters[seriesKey] = next;
    // Appended, never changed: a snapshot captures each list as a shallow copy of what it holds at C.
    (data.allocations[seriesKey] ??= []).push(allocation);
    data.documents[documentId] = { ...document, number: String(next), updatedAt: now };
    // The counter, the allocation and the numbered document go into the same commit line.
    this.pending.counters.add(seriesKey);
    this.pending.allocations.push(allocation);
    this.pending.documents.add(documentId);
    this.allocatedNumber.set(seriesDocKey(seriesKey, documentId), next);
    await this.commit();
    return next;
  }

  async listAllocations(seriesKey: string): Promise<NumberAllocation[]> {
    const hot = this.data('listAllocations').allocations[seriesKey] ?? [];
    // An allocation is in both only after a crash between its archiving and its removal from the hot set.
    const inHot = new Set(hot.map((a) => a.documentId));
    const all = [...this.archive.allocationsOf(seriesKey).filter((a) => !inHot.has(a.documentId)), ...hot];
    return this.readResult(all.map((a) => structuredClone(a)).sort((a, b) => a.number - b.number));
  }

  // ─── batches ─────────────────────────────────────────────────────────────────────────────────

  async createBatch(batch: NewBatch): Promise<BatchRecord> {
    const data = this.data('createBatch');
    const now = this.now();
    const { record, text } = newRecord<BatchRecord>('batch', batch, (stored) => ({
      id: newId('bat'),
      status: stored.status ?? 'sending',
      createdAt: now,
      updatedAt: now,
    }));
    data.batches[record.id] = record;
    this.pending.batches.add(record.id);
    const copy = this.remember(record, text);
    await this.commit();
    return copy;
  }

  async getBatch(id: string): Promise<BatchRecord | undefined> {
    const record = this.data('getBatch').batches[id] ?? (await this.readArchived('batches', id));
    return this.readResult(record && structuredClone(record));
  }

  async listBatches(query: BatchQuery = {}): Promise<BatchRecord[]> {
    this.data('listBatches');
    const limit = pageLimit(query.limit);
    const scope = archiveScope(query);
    const matches = (b: Pick<BatchRecord, 'status' | 'connectionId'>) =>
      (query.status === undefined || b.status === query.status) &&
      (query.connectionId === undefined || b.connectionId === query.connectionId);
    const archived = scope.archive ? await this.archivedPage('batches', this.archive.batches.values(), matches, (b) => b.createdAt, query.order, limit) : [];
    const data = this.data('listBatches');
    const hot = scope.hot ? Object.values(data.batches).filter(matches) : [];
    const page = pageInOrder([...hot, ...archived.filter((b) => !(b.id in data.batches))], (b) => b.createdAt, query.order, limit);
    return this.readResult(page.map((b) => structuredClone(b)));
  }

  async updateBatch(id: string, patch: Partial<Omit<BatchRecord, 'id'>>): Promise<BatchRecord> {
    if (!(id in this.data('updateBatch').batches)) await this.bringBack('batches', id);
    const batches = this.data('updateBatch').batches;
    const current = batches[id];
    if (!current) throw new RecordNotFoundError('batch', id);
    const record = patched('batch', current, patch, ['id'], this.now());
    batches[id] = record;
    this.pending.batches.add(id);
    const copy = this.remember(record);
    await this.commit();
    return copy;
  }

  async getState<T = unknown>(key: string): Promise<StateEntry<T> | undefined> {
    const entry = this.data('getState').state[key];
    return this.readResult(entry && (structuredClone(entry) as StateEntry<T>));
  }

  async putState<T = unknown>(key: string, value: T): Promise<StateEntry<T>> {
    const data = this.data('putState');
    if (!key) throw new StoreInputError('key', 'must be a non-empty string');
    const entry = JSON.parse(jsonText('value', { key, value, updatedAt: this.now() })) as StateEntry<T>;
    if (!('value' in entry)) throw new StoreInputError('value', 'must be JSON-serialisable (got nothing to store)');
    data.state[key] = entry;
    this.pending.state.add(key);
    await this.commit();
    return structuredClone(entry);
  }

  async deleteState(key: string): Promise<boolean> {
    const data = this.data('deleteState');
    if (!(key in data.state)) return this.readResult(false);
    delete data.state[key];
    this.pending.state.add(key);
    await this.commit();
    return true;
  }

  async listState<T = unknown>(prefix: string): Promise<StateEntry<T>[]> {
    const state = this.data('listState').state;
    const keys = Object.keys(state).filter((key) => key.startsWith(prefix)).sort();
    return this.readResult(keys.map((key) => structuredClone(state[key]) as StateEntry<T>));
  }

  // ─── archive ─────────────────────────────────────────────────────────────────────────────────

  /**
   * Moves finished records out of the hot set now (the background timer calls this too): documents
   * issued or skipped longer than `archiveAfterMs` ago, then events and batches whose documents are all
   * archived, then allocations of archived documents (the last of each series stays). Each step appends
   * and fsyncs a slice of records to the archive before it drops them from the hot set, in a commit of
   * its own; a record changed meanwhile stays hot (its newer version wins) and is archived later.
   * Passes run one at a time.
   */
  async archiveNow(): Promise<ArchiveSummary> {
    this.data('archiveNow');
    const pass = this.archiving.then(() => this.archiveFinished());
    this.archiving = pass.catch((error: unknown) => {
      this.warn(`Archiving failed (${describe(error)}); the records stay in the hot set and archiving is tried again.`);
    });
    return pass;
  }

  private async archiveFinished(): Promise<ArchiveSummary> {
    const summary: ArchiveSummary = { documents: 0, events: 0, batches: 0, allocations: 0, dedupeKeysDropped: 0 };
    if (this.archiveStopping) return summary;
    const now = this.clock().getTime();
    summary.dedupeKeysDropped = this.archive.dropDedupeKeysBefore(now - this.dedupeWindowMs);
    const cutoff = now - this.archiveAfterMs;
    const data = this.db.data;
    const old = (record: { updatedAt: string }) => Date.parse(record.updatedAt) <= cutoff;

    const documents = await this.hotRecords('documents', (d) => (d.status === 'issued' || d.status === 'skipped') && old(d));
    summary.documents = await this.moveToArchive('documents', documents);
    const documentHot = (id: string) => id in data.documents;
    const events = await this.hotRecords('events', (e) => (e.status === 'processed' || e.status === 'ignored') && old(e) && !e.documentIds.some(documentHot));
    summary.events = await this.moveToArchive('events', events);
    const batches = await this.hotRecords('batches', (b) => (b.status === 'completed' || b.status === 'failed') && old(b) && !b.documentIds.some(documentHot));
    summary.batches = await this.moveToArchive('batches', batches);
    summary.allocations = await this.archiveAllocations();
    return summary;
  }

  /** The hot records of a table that `finished` selects, scanned in slices of a few milliseconds. */
  private async hotRecords<K extends ArchivedTable>(table: K, finished: (record: TableRecord<K>) => boolean): Promise<TableRecord<K>[]> {
    const records = this.db.data[table] as Record<string, TableRecord<K>>;
    const found: TableRecord<K>[] = [];
    let sliceStart = performance.now();
    let index = 0;
    for (const id of Object.keys(records)) {
      if (++index % 256 === 0 && performance.now() - sliceStart >= ARCHIVE_SCAN_SLICE_MS) {
        await nextTurn();
        if (this.archiveStopping) return [];
        sliceStart = performance.now();
      }
      const record = records[id];
      // Changed and not yet committed: it is archived at a later pass.
      if (record && !this.pending[table].has(id) && finished(record)) found.push(record);
    }
    return found;
  }

  /** Appends the records to the archive, a slice at a time, and drops each slice from the hot set. */
  private async moveToArchive<K extends ArchivedTable>(table: K, records: TableRecord<K>[]): Promise<number> {
    let moved = 0;
    for (let start = 0; start < records.length; start += this.archiveSliceRecords) {
      if (this.archiveStopping) break;
      const slice = records.slice(start, start + this.archiveSliceRecords);
      const items: ArchiveItem<object>[] = [];
      let sliceStart = performance.now();
      for (const record of slice) {
        // Large payloads: stringifying a slice may take a while, so the loop gets its turns.
        if (performance.now() - sliceStart >= ARCHIVE_SCAN_SLICE_MS) {
          await nextTurn();
          sliceStart = performance.now();
        }
        items.push({ record, text: this.textOf(record) });
      }
      const appended = await this.archive.append(table, items);
      if (appended) this.pending.archived.files.set(appended.file, appended.bytes);
      // The lines are durable in the archive. A crash before the commit below leaves the records in both
      // places: the hot copy wins, and they are archived again.
      if (this.archiveStopping) break;
      const hot = this.db.data[table] as Record<string, object>;
      let removed = 0;
      for (const record of slice) {
        // Copy-on-write: the same object means nothing changed since it was written to the archive.
        if (hot[record.id] !== record) continue;
        delete hot[record.id];
        this.pending.archived[table].add(record.id);
        if (table === 'documents') {
          this.documentIdByKey.delete((record as DocumentRecord).idempotencyKey);
          removeFrom(this.hotDocumentsByOrder, (record as DocumentRecord).orderId, record.id);
        }
        if (table === 'events') {
          this.eventIdByDedupeKey.delete((record as EventRecord).dedupeKey);
          removeFrom(this.hotEventsByOrder, (record as EventRecord).orderId, record.id);
        }
        removed += 1;
      }
      if (removed > 0) await this.commit();
      moved += removed;
      await nextTurn();
    }
    return moved;
  }

  /** Allocations of documents that left the hot set, except the last of each series. */
  private async archiveAllocations(): Promise<number> {
    const data = this.db.data;
    const chosen: NumberAllocation[] = [];
    for (const list of Object.values(data.allocations)) {
      for (let i = 0; i < list.length - 1; i++) {
        if (!(list[i]!.documentId in data.documents)) chosen.push(list[i]!);
      }
    }
    let moved = 0;
    for (let start = 0; start < chosen.length; start += this.archiveSliceRecords) {
      if (this.archiveStopping) break;
      const slice = chosen.slice(start, start + this.archiveSliceRecords);
      const appended = await this.archive.append('allocations', slice.map((a) => ({ record: a, text: JSON.stringify(a) })));
      if (appended) this.pending.archived.files.set(appended.file, appended.bytes);
      if (this.archiveStopping) break;
      const leaving = new Map<string, Set<string>>();
      for (const a of slice) {
        let ids = leaving.get(a.seriesKey);
        if (!ids) leaving.set(a.seriesKey, (ids = new Set()));
        ids.add(a.documentId);
        this.allocatedNumber.delete(seriesDocKey(a.seriesKey, a.documentId));
        this.pending.archived.allocations.push({ seriesKey: a.seriesKey, documentId: a.documentId });
      }
      // A new list, never an edit: a snapshot being written holds a copy of the old one.
      for (const [seriesKey, ids] of leaving) {
        data.allocations[seriesKey] = (data.allocations[seriesKey] ?? []).filter((a) => !ids.has(a.documentId));
      }
      await this.commit();
      moved += slice.length;
      await nextTurn();
    }
    return moved;
  }

  /** An archived record read back from its file (not put back in the hot set); undefined when unknown. */
  private async readArchived<K extends ArchivedTable>(table: K, id: string): Promise<TableRecord<K> | undefined> {
    const entry = this.archive[table].get(id);
    if (!entry) return undefined;
    const record = await this.archive.read<TableRecord<K>>(entry.at, id);
    // Brought back to the hot set while it was being read: the hot version is the newer one.
    return (this.db.data[table] as Record<string, TableRecord<K>>)[id] ?? record;
  }

  /**
   * Puts an archived record back into the hot set, unchanged, so an update can apply to it (a replay
   * re-opens a document, a redaction rewrites an event). Its archive lines stay; the hot version wins
   * and it is archived again once finished. Does nothing when the id is unknown.
   */
  private async bringBack(table: ArchivedTable, id: string): Promise<void> {
    const record = await this.readArchived(table, id);
    const hot = this.data('update')[table] as Record<string, object>;
    if (!record || id in hot) return;
    hot[id] = record;
    if (table === 'documents') {
      this.documentIdByKey.set((record as DocumentRecord).idempotencyKey, id);
      addTo(this.hotDocumentsByOrder, (record as DocumentRecord).orderId, id);
    }
    if (table === 'events') {
      this.eventIdByDedupeKey.set((record as EventRecord).dedupeKey, id);
      addTo(this.hotEventsByOrder, (record as EventRecord).orderId, id);
    }
  }

  /** The newest `limit` archived entries that match, read back from their files. */
  private async archivedPage<K extends ArchivedTable, M extends { id: string; at: Location }>(
    table: K,
    entries: Iterable<M>,
    matches: (entry: M) => boolean,
    instant: (entry: M) => string,
    order: ListOrder | undefined,
    limit: number,
  ): Promise<TableRecord<K>[]> {
    const hot = this.db.data[table] as Record<string, object>;
    const candidates: M[] = [];
    for (const entry of entries) if (!(entry.id in hot) && matches(entry)) candidates.push(entry);
    const page = pageInOrder(candidates, instant, order, limit);
    return Promise.all(page.map((entry) => this.archive.read<TableRecord<K>>(entry.at, entry.id)));
  }

  // ─── internals ───────────────────────────────────────────────────────────────────────────────

  /** A method call, so TypeScript does not keep narrowing `state` across the awaits in open(). */
  private wasClosed(): boolean {
    return this.state === 'closed';
  }

  private data(method: string): StoreData {
    if (this.state !== 'open') throw new StoreClosedError(this.state === 'closed' ? 'closed' : 'not_open', method);
    return this.db.data;
  }

  private now(): string {
    return this.clock().toISOString();
  }

  private rebuildIndexes(): void {
    const data = this.db.data;
    this.eventIdByDedupeKey.clear();
    this.documentIdByKey.clear();
    this.allocatedNumber.clear();
    this.hotEventsByOrder.clear();
    this.hotDocumentsByOrder.clear();
    for (const event of Object.values(data.events)) {
      this.eventIdByDedupeKey.set(event.dedupeKey, event.id);
      addTo(this.hotEventsByOrder, event.orderId, event.id);
    }
    for (const document of Object.values(data.documents)) {
      this.documentIdByKey.set(document.idempotencyKey, document.id);
      addTo(this.hotDocumentsByOrder, document.orderId, document.id);
    }
    for (const [seriesKey, allocations] of Object.entries(data.allocations)) {
      for (const a of allocations) this.allocatedNumber.set(seriesDocKey(seriesKey, a.documentId), a.number);
    }
  }

  /** Marks a change as applied and waits until a write containing it is durable. */
  private commit(): Promise<void> {
    this.appliedSeq += 1;
    return this.waitDurable(this.appliedSeq);
  }

  /** Returns a read's result once everything it could have seen is durable. */
  private async readResult<T>(result: T): Promise<T> {
    if (this.durableSeq < this.appliedSeq) await this.waitDurable(this.appliedSeq);
    return result;
  }

  private waitDurable(seq: number): Promise<void> {
    if (seq <= this.durableSeq) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ seq, resolve, reject });
      this.flushing ??= this.flush();
    });
  }

  private async flush(): Promise<void> {
    // Let every mutation issued in the current turn of the event loop join the first commit.
    await Promise.resolve();
    try {
      while (this.waiters.length > 0) {
        const covered = this.appliedSeq;
        let failure: Error | undefined;
        try {
          await this.persistPending();
          this.durableSeq = Math.max(this.durableSeq, covered);
        } catch (error) {
          const reason = error instanceof Error ? error.message : String(error);
          failure = new Error(
            `The change was not saved: ${reason}. It stays pending in memory and is saved with the next successful write; retry the operation.`,
            { cause: error },
          );
        }
        const settled = this.waiters.filter((w) => w.seq <= covered);
        this.waiters = this.waiters.filter((w) => w.seq > covered);
        for (const waiter of settled) {
          if (failure) waiter.reject(failure);
          else waiter.resolve();
        }
        // Inside the loop, so no append runs while the log is rotated; changes made meanwhile wait for
        // the next iteration and land in the new log.
        if (!failure && this.logIsFull()) await this.compactInBackground();
      }
    } finally {
      this.flushing = undefined;
    }
  }

  /** Appends one commit line with everything changed since the last one, and fsyncs it. */
  private async persistPending(): Promise<void> {
    if (this.logBroken) {
      // A failed append may have left part of a line; appending after it would bury a damaged line
      // inside the log. A fresh snapshot and an empty log replace it.
      await this.compactAndReset();
    }
    const changes = this.pending;
    if (isEmpty(changes)) return;
    this.pending = noChanges();
    this.lastCommit += 1;
    // Built now, synchronously: the line is exactly the state of these records at this instant.
    const line = this.commitLine(this.lastCommit, changes);
    try {
      await this.log.append(line);
    } catch (error) {
      this.logBroken = true;
      this.restorePending(changes);
      throw error;
    }
  }

  /** The commit line's text: `{"c":…,"events":[…],…}`, each record's text reused when it is known. */
  private commitLine(c: number, changes: PendingChanges): string {
    const data = this.db.data;
    let line = `{"c":${c}`;
    const archived = changes.archived;
    if (archived.files.size + archived.events.size + archived.documents.size + archived.batches.size + archived.allocations.length > 0) {
      const ids: ArchivedIds = {};
      if (archived.files.size > 0) {
        ids.files = Object.fromEntries(archived.files);
        for (const [file, bytes] of archived.files) data.archiveFiles[file] = Math.max(data.archiveFiles[file] ?? 0, bytes);
      }
      if (archived.events.size > 0) ids.events = [...archived.events];
      if (archived.documents.size > 0) ids.documents = [...archived.documents];
      if (archived.batches.size > 0) ids.batches = [...archived.batches];
      if (archived.allocations.length > 0) ids.allocations = archived.allocations;
      line += `,"archived":${JSON.stringify(ids)}`;
    }
    const records = (key: 'events' | 'documents' | 'batches', ids: Set<string>, table: Record<string, object>) => {
      // A record whose append failed may have been archived since: its archive line holds that version.
      const texts = [...ids].flatMap((id) => (table[id] ? [this.textOf(table[id])] : []));
      if (texts.length > 0) line += `,"${key}":[${texts.join(',')}]`;
    };
    records('events', changes.events, data.events);
    records('documents', changes.documents, data.documents);
    records('batches', changes.batches, data.batches);
    if (changes.counters.size > 0) {
      line += `,"counters":${JSON.stringify(Object.fromEntries([...changes.counters].map((key) => [key, data.counters[key]!])))}`;
    }
    if (changes.allocations.length > 0) line += `,"allocations":${JSON.stringify(changes.allocations)}`;
    if (changes.state.size > 0) {
      line += `,"state":${JSON.stringify([...changes.state].map((key) => data.state[key] ?? { key, deleted: true }))}`;
    }
    return `${line}}`;
  }

  /** Remembers the JSON text of a record just put in its table, and returns the caller's copy of it. */
  private remember<T extends object>(record: T, text: string = recordJson(record)): T {
    this.recordText.set(record, text);
    return JSON.parse(text) as T;
  }

  /**
   * A record's JSON text, for its commit line and for every snapshot while it stays as it is: records
   * are never mutated, so the text made once stays true, and a compaction copies texts instead of
   * stringifying the whole hot set again (it was the largest cost of ingest). The price is memory: the
   * hot set is held as objects and as text — except payloads given as text, held as that text only
   * (the text goes with the object when it is replaced or archived).
   */
  private textOf(record: object): string {
    let text = this.recordText.get(record);
    if (text === undefined) {
      text = recordJson(record);
      this.recordText.set(record, text);
    }
    return text;
  }

  /** Puts the changes of a failed append back, ahead of anything changed since. */
  private restorePending(changes: PendingChanges): void {
    const later = this.pending;
    for (const id of later.events) changes.events.add(id);
    for (const id of later.documents) changes.documents.add(id);
    for (const id of later.batches) changes.batches.add(id);
    for (const key of later.counters) changes.counters.add(key);
    changes.allocations.push(...later.allocations);
    for (const key of later.state) changes.state.add(key);
    for (const [file, bytes] of later.archived.files) changes.archived.files.set(file, Math.max(changes.archived.files.get(file) ?? 0, bytes));
    for (const id of later.archived.events) changes.archived.events.add(id);
    for (const id of later.archived.documents) changes.archived.documents.add(id);
    for (const id of later.archived.batches) changes.archived.batches.add(id);
    changes.archived.allocations.push(...later.archived.allocations);
    this.pending = changes;
  }

  private logIsFull(): boolean {
    const reached = this.log.size >= this.compactAfterBytes || this.log.commits >= this.compactAfterCommits;
    return reached && (!this.amortiseCompaction || this.log.size >= this.snapshotBytes);
  }

  /**
   * Writes the snapshot of this instant, with the last commit it contains. Only references are captured
   * now, synchronously (O(n) pointer copies); the records are stringified later, in slices that give
   * the event loop a turn every few milliseconds, while commits go on. That is consistent because
   * stored records are replaced, never mutated (copy-on-write): changes made while the file is being
   * written are not in it — they are in the log after `logCommit`.
   */
  private writeSnapshot(): Promise<void> {
    const data = this.db.data;
    data.schemaVersion = SCHEMA_VERSION;
    data.logCommit = this.lastCommit;
    const chunks = snapshotChunks(captureStoreSnapshot(data, this.lastCommit), {
      recordText: (record) => this.textOf(record),
      ...(this.snapshotSliceMs === undefined ? {} : { sliceMs: this.snapshotSliceMs }),
    });
    return this.snapshotWriter(this.filePath, chunks).then(() => {
      // Until now the previous snapshot's size stood in for it: a lower bound, so amortisation can only
      // start the next compaction early, which then waits for this write (back-pressure, not loss).
      this.snapshotBytes = chunks.stats.chars;
    });
  }

  /**
   * Compaction on the commit path, without making commits wait for the snapshot write:
   *   1. retire the current log as the previous one and start an empty log after commit C (rotate);
   *   2. stringify the snapshot (it contains commits ≤ C, maybe also changes not yet logged) and write
   *      it in the background while later commits append to the new log.
   * A crash before the snapshot is durable leaves the old snapshot + previous log + new log, which replay
   * in order; a crash after it leaves the new snapshot, whose logCommit makes replay skip the previous
   * log. Rotating again would overwrite the previous log, so it waits for this snapshot to be durable;
   * if that write failed, the next compaction writes the snapshot first (compactAndReset).
   */
  private async compactInBackground(): Promise<void> {
    await this.snapshotting;
    try {
      if (this.snapshotBehind) {
        await this.compactAndReset();
        return;
      }
      await this.rotateLog();
    } catch (error) {
      this.warn(`Compaction failed (${describe(error)}); the change log still holds every change, and compaction is tried again.`);
      return;
    }
    this.snapshotting = this.writeSnapshot().then(
      () => {
        this.snapshotBehind = false;
      },
      (error: unknown) => {
        this.snapshotBehind = true;
        this.warn(`The snapshot could not be written (${describe(error)}); the change log still holds every change, and the snapshot is written again at the next compaction.`);
      },
    );
  }

  /**
   * Compaction that waits for the snapshot: write it (durable), then replace the log by an empty one and
   * drop the previous log. A crash in between leaves a snapshot that already contains every line of the
   * old logs; replay skips them by commit number (and would re-apply them harmlessly anyway).
   */
  private async compactAndReset(): Promise<void> {
    await this.snapshotting;
    const upTo = this.lastCommit;
    await this.writeSnapshot();
    this.snapshotBehind = false;
    try {
      await this.log.reset(upTo);
      this.logBroken = false;
    } catch (error) {
      this.logBroken = true;
      throw error;
    }
  }

  /** Retires the current log; when that fails half-way the log must be replaced before the next append. */
  private async rotateLog(): Promise<void> {
    try {
      await this.log.rotate(this.lastCommit);
    } catch (error) {
      this.logBroken = true;
      throw error;
    }
  }

  /** At close the snapshot takes in the whole log, so the next start reads one file. */
  private async compactAtClose(): Promise<void> {
    await this.snapshotting;
    if (this.log.commits === 0 && !this.snapshotBehind && !this.logBroken) return;
    try {
      if (this.snapshotBehind || this.logBroken) {
        await this.compactAndReset();
      } else {
        await this.rotateLog();
        await this.writeSnapshot();
      }
    } catch (error) {
      this.warn(`The snapshot could not be written at close (${describe(error)}); nothing is lost: the change log holds every change and is replayed at the next start.`);
    }
  }

  /**
   * Applies the log lines the snapshot does not contain yet, in order. Returns how many were applied.
   * Lines hold full versions, so applying one the snapshot already has changes nothing.
   */
  private replay(segments: LogSegment[], warnings: string[]): number {
    const data = this.db.data;
    let known = data.logCommit ?? 0;
    let highest = known;
    let applied = 0;
    for (const segment of segments) {
      const file = basename(segment.path);
      if (segment.after !== undefined && segment.after > known) {
        warnings.push(missingCommits(file, known + 1, segment.after));
        known = segment.after;
      }
      highest = Math.max(highest, segment.after ?? 0);
      segment.commits.forEach((line, index) => {
        const commit = line as StoreCommit;
        highest = Math.max(highest, commit.c);
        if (commit.c <= known) return;
        const problem = commitShapeProblem(commit);
        // The header is line 1.
        if (problem) throw new ChangeLogDamagedError(segment.path, index + 2, problem);
        if (commit.c > known + 1) warnings.push(missingCommits(file, known + 1, commit.c - 1));
        applyCommit(data, commit);
        known = commit.c;
        applied += 1;
      });
      if (segment.torn) {
        warnings.push(
          `${file} ends with an incomplete commit (the process stopped while writing it); it was never acknowledged and was ignored. Everything before it is intact.`,
        );
      }
    }
    this.lastCommit = highest;
    return applied;
  }

  /** Reads the snapshot; when neither it nor its `.bak` is usable, says what that means for invoices. */
  private async readSnapshot(): Promise<void> {
    try {
      await this.db.read();
    } catch (error) {
      if (!(error instanceof UnreadableFileError)) throw error;
      throw new UnreadableFileError(
        error.path,
        error.reasons,
        'Restore the data directory from a backup. Do not start with an empty store instead: Puente would forget which orders were already invoiced and the last fiscal numbers it used.',
      );
    }
  }

  /**
   * Neither the snapshot nor its `.bak` exists. That is a new data directory — unless a change log that
   * continues from an earlier snapshot, or archive files, show that this store had data: starting empty
   * then would issue invoices again and reuse fiscal numbers.
   */
  private async refuseToStartOver(segments: LogSegment[]): Promise<void> {
    const file = basename(this.filePath);
    const continued = segments.find((segment) => (segment.after ?? 0) > 0);
    if (continued) {
      throw new UnreadableFileError(
        this.filePath,
        [`${file} and ${file}.bak are both missing, but ${basename(continued.path)} continues from commit ${continued.after} of a snapshot that is gone`],
        'Restore the data directory from a backup. Starting empty would lose every change before that commit: invoices could be issued twice and fiscal numbers reused.',
      );
    }
    const archived = await readdir(this.archiveDir).then(
      (names) => names.filter((name) => name.endsWith('.jsonl')),
      () => [] as string[],
    );
    if (archived.length > 0) {
      throw new UnreadableFileError(
        this.filePath,
        [`${file} and ${file}.bak are both missing, but ${ARCHIVE_DIR_NAME}/ holds ${archived.length} archive file(s), so this store had data`],
        'Restore the data directory from a backup. Starting empty would lose the work in progress and the numbering counters: fiscal numbers could be reused.',
      );
    }
  }

  /** The operator's sentence for a fall back to the `.bak` copy: which file, what was wrong, which copy, what may be lost. */
  private recoveryMessage(recovery: { reason: string; backup: string; quarantined?: string }, replayed: number, gaps: boolean): string {
    const kept = recovery.quarantined ? ` The damaged file was kept as ${recovery.quarantined}.` : '';
    const outcome = gaps
      ? 'The change logs do not reach back to that copy, so some changes may be lost (see the next warning); check the most recent orders.'
      : `The change logs held every change made since that copy (${replayed} commit(s) replayed), so nothing is lost.`;
    return `${recovery.reason}; recovered the previous copy from ${recovery.backup}.${kept} ${outcome}`;
  }

  private openWarning(message: string): void {
    this.openWarnings.push(message);
    this.options.onWarning?.(message);
  }

  private warn(message: string): void {
    this.options.onWarning?.(message);
  }
}

function isEmpty(changes: PendingChanges): boolean {
  return (
    changes.events.size === 0 &&
    changes.documents.size === 0 &&
    changes.batches.size === 0 &&
    changes.counters.size === 0 &&
    changes.allocations.length === 0 &&
    changes.state.size === 0 &&
    changes.archived.files.size === 0 &&
    changes.archived.events.size === 0 &&
    changes.archived.documents.size === 0 &&
    changes.archived.batches.size === 0 &&
    changes.archived.allocations.length === 0
  );
}

/** Idempotent: full versions replace by id, counters move only up, an allocation is added once. */
function applyCommit(data: StoreData, commit: StoreCommit): void {
  // Removals first: within one commit, a record can leave for the archive and then be brought back.
  const archived = commit.archived ?? {};
  for (const [file, bytes] of Object.entries(archived.files ?? {})) data.archiveFiles[file] = Math.max(data.archiveFiles[file] ?? 0, bytes);
  for (const id of archived.events ?? []) delete data.events[id];
  for (const id of archived.documents ?? []) delete data.documents[id];
  for (const id of archived.batches ?? []) delete data.batches[id];
  for (const { seriesKey, documentId } of archived.allocations ?? []) {
    const list = data.allocations[seriesKey];
    if (list) data.allocations[seriesKey] = list.filter((a) => a.documentId !== documentId);
  }
  for (const event of commit.events ?? []) data.events[event.id] = event;
  for (const document of commit.documents ?? []) data.documents[document.id] = document;
  for (const batch of commit.batches ?? []) data.batches[batch.id] = batch;
  for (const [seriesKey, last] of Object.entries(commit.counters ?? {})) {
    data.counters[seriesKey] = Math.max(data.counters[seriesKey] ?? last, last);
  }
  for (const allocation of commit.allocations ?? []) {
    const series = (data.allocations[allocation.seriesKey] ??= []);
    if (!series.some((a) => a.documentId === allocation.documentId)) series.push(allocation);
  }
  for (const entry of commit.state ?? []) {
    if ('deleted' in entry) delete data.state[entry.key];
    else data.state[entry.key] = entry;
  }
}

function missingCommits(file: string, from: number, to: number): string {
  return `Commits ${from}–${to} are missing before ${file} (the snapshot is older than the change log continues from); changes made then may be lost. Check the most recent orders.`;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function nonNegativeMs(field: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0) throw new StoreInputError(field, `must be a number of milliseconds ≥ 0, got ${value}`);
  return value;
}

function positiveLimit(field: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) throw new StoreInputError(field, `must be a positive integer, got ${value}`);
  return value;
}
