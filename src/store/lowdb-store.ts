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
 * When an append fails, the waiting promises reject, but the changes stay in memory and the next
 * successful commit persists them. Callers therefore treat a rejection as an unknown outcome and retry;
 * every mutation is keyed or idempotent (dedupeKey, idempotencyKey, allocation per document), so a
 * retry is safe and gapless numbering holds.
 */
import { mkdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Low } from 'lowdb';
import { ChangeLog, ChangeLogDamagedError, type CommitLine, type LogAppendHook, type LogSegment } from './change-log.js';
import { backupPathFor, DurableJsonFile, writeChunksDurably, type ChunkedFileWriter } from './durable-file.js';
import { newId } from './ids.js';
import { acquireLock, type StoreLock } from './lock.js';
import { snapshotChunks, type SnapshotPart } from './snapshot.js';
import {
  RecordNotFoundError,
  type BatchQuery,
  type BatchRecord,
  type DocumentQuery,
  type DocumentRecord,
  type EventQuery,
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
export const DEFAULT_COMPACT_AFTER_BYTES = 32 * 1024 * 1024;
export const DEFAULT_COMPACT_AFTER_COMMITS = 20_000;

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
  /** Compact once the change log holds this many bytes. Default 32 MiB. */
  compactAfterBytes?: number;
  /** Compact once the change log holds this many commits. Default 20 000. */
  compactAfterCommits?: number;
  /**
   * When true (the default), a compaction also waits until the log is at least as large as the last
   * snapshot, so rewriting the snapshot never costs more than what was appended since: a commit's
   * amortised cost stays proportional to its size however large the database grows.
   */
  amortiseCompaction?: boolean;
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
}

/** What changed since the last commit line was taken. */
interface PendingChanges {
  events: Set<string>;
  documents: Set<string>;
  batches: Set<string>;
  counters: Set<string>;
  allocations: NumberAllocation[];
  state: Set<string>;
}

function noChanges(): PendingChanges {
  return { events: new Set(), documents: new Set(), batches: new Set(), counters: new Set(), allocations: [], state: new Set() };
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
  return { schemaVersion: SCHEMA_VERSION, events: {}, documents: {}, batches: {}, counters: {}, allocations: {}, state: {} };
}

/**
 * What a snapshot of the store at commit `logCommit` serialises, captured synchronously: references to
 * the records (which are copy-on-write), shallow copies of the counters and of each append-only
 * allocation list. O(n) pointer copies, no stringify.
 */
export function captureStoreSnapshot(
  data: Pick<StoreData, 'events' | 'documents' | 'batches' | 'counters' | 'allocations' | 'state'>,
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
 * create instead of again for its commit line.
 */
function newRecord<T extends object>(
  field: string,
  input: object,
  ownFields: (stored: Record<string, unknown>) => Record<string, unknown>,
): { record: T; text: string } {
  const inputText = jsonText(field, input);
  const stored = JSON.parse(inputText) as Record<string, unknown>;
  const own = ownFields(stored);
  const record = { ...stored, ...own } as T;
  const clash = !inputText.startsWith('{') || Object.keys(own).some((key) => Object.hasOwn(stored, key) || own[key] === undefined);
  if (clash) return { record, text: JSON.stringify(record) };
  const ownText = JSON.stringify(own);
  return { record, text: inputText === '{}' ? ownText : `${inputText.slice(0, -1)},${ownText.slice(1)}` };
}

function pageLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_LIST_LIMIT;
  if (!Number.isInteger(limit) || limit < 1) throw new StoreInputError('limit', `must be a positive integer, got ${limit}`);
  return Math.min(limit, MAX_LIST_LIMIT);
}

function newestFirst<T extends { id: string }>(records: T[], instant: (record: T) => string): T[] {
  return records.sort((a, b) => {
    const diff = Date.parse(instant(b)) - Date.parse(instant(a));
    if (diff !== 0 && !Number.isNaN(diff)) return diff;
    // Ids are time-sortable and monotonic, so they order records created within the same instant.
    return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
  });
}

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
      await this.db.read();
      const read = this.adapter.lastRead;
      for (const warning of read?.warnings ?? []) this.openWarning(warning);
      const segments = await this.log.read();
      const replayed = this.replay(segments);
      this.rebuildIndexes();
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
    } catch (error) {
      if (!this.wasClosed()) this.state = 'new';
      await this.log.close().catch(() => undefined);
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
    try {
      if (this.durableSeq < this.appliedSeq || this.flushing) await this.waitDurable(this.appliedSeq);
      // The commit loop may still be compacting after the last waiter was answered.
      await this.flushing;
      await this.compactAtClose();
    } finally {
      await this.flushing;
      await this.snapshotting;
      await this.log.close().catch(() => undefined);
      await this.lock?.release();
      this.lock = undefined;
    }
  }

  // ─── inbox ───────────────────────────────────────────────────────────────────────────────────

  async recordEvent(event: NewEvent): Promise<{ event: EventRecord; duplicate: boolean }> {
    const data = this.data('recordEvent');
    requireText('dedupeKey', event?.dedupeKey);
    requireInstant('receivedAt', event.receivedAt);
    const existingId = this.eventIdByDedupeKey.get(event.dedupeKey);
    if (existingId !== undefined) {
      const existing = data.events[existingId]!;
      const counted: EventRecord = { ...existing, deliveries: existing.deliveries + 1, updatedAt: this.now() };
      data.events[existingId] = counted;
      this.pending.events.add(existingId);
      const copy = this.remember(counted);
      await this.commit();
      return { event: copy, duplicate: true };
    }
    const { record, text } = newRecord<EventRecord>('event', event, (stored) => ({
      id: newId('evt'),
      status: stored.status ?? 'received',
      documentIds: [],
      deliveries: 1,
      updatedAt: this.now(),
    }));
    data.events[record.id] = record;
    this.pending.events.add(record.id);
    this.eventIdByDedupeKey.set(record.dedupeKey, record.id);
    const copy = this.remember(record, text);
    await this.commit();
    return { event: copy, duplicate: false };
  }

  async getEvent(id: string): Promise<EventRecord | undefined> {
    const record = this.data('getEvent').events[id];
    return this.readResult(record && structuredClone(record));
  }

  async listEvents(query: EventQuery = {}): Promise<EventRecord[]> {
    const data = this.data('listEvents');
    const limit = pageLimit(query.limit);
    const matches = Object.values(data.events).filter(
      (e) =>
        (query.status === undefined || e.status === query.status) &&
        (query.source === undefined || e.source === query.source) &&
        (query.orderId === undefined || e.orderId === query.orderId),
    );
    const page = newestFirst(matches, (e) => e.receivedAt).slice(0, limit);
    return this.readResult(page.map((e) => structuredClone(e)));
  }

  async updateEvent(id: string, patch: Partial<Omit<EventRecord, 'id' | 'dedupeKey'>>): Promise<EventRecord> {
    const events = this.data('updateEvent').events;
    const current = events[id];
    if (!current) throw new RecordNotFoundError('event', id);
    if (patch.receivedAt !== undefined) requireInstant('receivedAt', patch.receivedAt);
    const record = patched('event', current, patch, ['id', 'dedupeKey'], this.now());
    events[id] = record;
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
    const copy = this.remember(record, text);
    await this.commit();
    return { document: copy, duplicate: false };
  }

  async getDocument(id: string): Promise<DocumentRecord | undefined> {
    const record = this.data('getDocument').documents[id];
    return this.readResult(record && structuredClone(record));
  }

  async findDocumentByKey(idempotencyKey: string): Promise<DocumentRecord | undefined> {
    const data = this.data('findDocumentByKey');
    const id = this.documentIdByKey.get(idempotencyKey);
    const record = id === undefined ? undefined : data.documents[id];
    return this.readResult(record && structuredClone(record));
  }

  async listDocuments(query: DocumentQuery = {}): Promise<DocumentRecord[]> {
    const data = this.data('listDocuments');
    const limit = pageLimit(query.limit);
    const matches = Object.values(data.documents).filter(
      (d) =>
        (query.status === undefined || d.status === query.status) &&
        (query.connectionId === undefined || d.connectionId === query.connectionId) &&
        (query.orderId === undefined || d.orderId === query.orderId) &&
        (query.kind === undefined || d.kind === query.kind),
    );
    const page = newestFirst(matches, (d) => d.createdAt).slice(0, limit);
    return this.readResult(page.map((d) => structuredClone(d)));
  }

  async updateDocument(
    id: string,
    patch: Partial<Omit<DocumentRecord, 'id' | 'idempotencyKey' | 'number'>>,
  ): Promise<DocumentRecord> {
    const documents = this.data('updateDocument').documents;
    const current = documents[id];
    if (!current) throw new RecordNotFoundError('document', id);
    // `number` changes only through allocateNumber, in the same write as its allocation.
    const record = patched('document', current, patch, ['id', 'idempotencyKey', 'number'], this.now());
    documents[id] = record;
    this.pending.documents.add(id);
    const copy = this.remember(record);
    await this.commit();
    return copy;
  }

  async allocateNumber(seriesKey: string, documentId: string, firstNumber: number): Promise<number> {
    const data = this.data('allocateNumber');
    requireText('seriesKey', seriesKey);
    if (!Number.isSafeInteger(firstNumber) || firstNumber < 0) {
      throw new StoreInputError('firstNumber', `must be a non-negative integer, got ${firstNumber}`);
    }
    const already = this.allocatedNumber.get(seriesDocKey(seriesKey, documentId));
    if (already !== undefined) return this.readResult(already);

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
    const allocations = this.data('listAllocations').allocations[seriesKey] ?? [];
    return this.readResult(allocations.map((a) => structuredClone(a)).sort((a, b) => a.number - b.number));
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
    const record = this.data('getBatch').batches[id];
    return this.readResult(record && structuredClone(record));
  }

  async listBatches(query: BatchQuery = {}): Promise<BatchRecord[]> {
    const data = this.data('listBatches');
    const limit = pageLimit(query.limit);
    const matches = Object.values(data.batches).filter(
      (b) =>
        (query.status === undefined || b.status === query.status) &&
        (query.connectionId === undefined || b.connectionId === query.connectionId),
    );
    const page = newestFirst(matches, (b) => b.createdAt).slice(0, limit);
    return this.readResult(page.map((b) => structuredClone(b)));
  }

  async updateBatch(id: string, patch: Partial<Omit<BatchRecord, 'id'>>): Promise<BatchRecord> {
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
    for (const event of Object.values(data.events)) this.eventIdByDedupeKey.set(event.dedupeKey, event.id);
    for (const document of Object.values(data.documents)) this.documentIdByKey.set(document.idempotencyKey, document.id);
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
    const records = (key: 'events' | 'documents' | 'batches', ids: Set<string>, table: Record<string, object>) => {
      if (ids.size > 0) line += `,"${key}":[${[...ids].map((id) => this.textOf(table[id]!)).join(',')}]`;
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
  private remember<T extends object>(record: T, text: string = JSON.stringify(record)): T {
    this.recordText.set(record, text);
    return JSON.parse(text) as T;
  }

  /** A record's JSON text for its commit line; the remembered text is dropped once used, to keep memory flat. */
  private textOf(record: object): string {
    const text = this.recordText.get(record);
    if (text === undefined) return JSON.stringify(record);
    this.recordText.delete(record);
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
    const chunks = snapshotChunks(captureStoreSnapshot(data, this.lastCommit), this.snapshotSliceMs === undefined ? {} : { sliceMs: this.snapshotSliceMs });
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
  private replay(segments: LogSegment[]): number {
    const data = this.db.data;
    let known = data.logCommit ?? 0;
    let highest = known;
    let applied = 0;
    for (const segment of segments) {
      const file = basename(segment.path);
      if (segment.after !== undefined && segment.after > known) {
        this.missingCommits(file, known + 1, segment.after);
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
        if (commit.c > known + 1) this.missingCommits(file, known + 1, commit.c - 1);
        applyCommit(data, commit);
        known = commit.c;
        applied += 1;
      });
      if (segment.torn) {
        this.openWarning(
          `${file} ends with an incomplete commit (the process stopped while writing it); it was never acknowledged and was ignored. Everything before it is intact.`,
        );
      }
    }
    this.lastCommit = highest;
    return applied;
  }

  private missingCommits(file: string, from: number, to: number): void {
    this.openWarning(
      `Commits ${from}–${to} are missing before ${file} (the snapshot is older than the change log continues from); changes made then may be lost. Check the most recent orders.`,
    );
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
    changes.state.size === 0
  );
}

/** Idempotent: full versions replace by id, counters move only up, an allocation is added once. */
function applyCommit(data: StoreData, commit: StoreCommit): void {
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

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function positiveLimit(field: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) throw new StoreInputError(field, `must be a positive integer, got ${value}`);
  return value;
}
