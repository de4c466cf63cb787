/**
 * The embedded default Store: one JSON file under a data directory, held through lowdb 7 with a durable
 * adapter (temp file + fsync + rename + directory fsync, `.bak` of the previous copy).
 *
 * Every mutation is applied synchronously to the in-memory data and then waits for a group commit: all
 * changes made while a write is in flight go to disk together in the next single write. A promise
 * resolves only once a write containing its change is durable. Reads also wait until what they saw is
 * durable, so no caller acts on state a crash could take back (as with a database's committed reads).
 *
 * When a write fails, the waiting promises reject, but the changes stay in memory and the next
 * successful write persists them. Callers therefore treat a rejection as an unknown outcome and retry;
 * every mutation is keyed or idempotent (dedupeKey, idempotencyKey, allocation per document), so a
 * retry is safe and gapless numbering holds.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Low } from 'lowdb';
import { DurableJsonFile, type TextFileWriter } from './durable-file.js';
import { newId } from './ids.js';
import { acquireLock, type StoreLock } from './lock.js';
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
  type Store,
} from './store.js';

export const DEFAULT_STORE_FILE_NAME = 'puente.json';
export const DEFAULT_LIST_LIMIT = 100;
export const MAX_LIST_LIMIT = 1000;
const SCHEMA_VERSION = 1;

export interface LowdbStoreOptions {
  dataDir: string;
  fileName?: string;
  clock?: () => Date;
  /** Called with each warning raised while opening (e.g. recovery from the `.bak` copy). */
  onWarning?: (message: string) => void;
  /** Replaces the durable file writer; for tests that count or fail writes. */
  writer?: TextFileWriter;
}

interface StoreData {
  schemaVersion: number;
  events: Record<string, EventRecord>;
  documents: Record<string, DocumentRecord>;
  batches: Record<string, BatchRecord>;
  /** seriesKey → last number allocated. */
  counters: Record<string, number>;
  /** seriesKey → allocations in the order they were made. */
  allocations: Record<string, NumberAllocation[]>;
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
  return { schemaVersion: SCHEMA_VERSION, events: {}, documents: {}, batches: {}, counters: {}, allocations: {} };
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
  return value as unknown as StoreData;
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

/** What goes into the file is exactly what stays in memory: a JSON round trip drops undefined and turns Dates into strings. */
function toStored<T>(field: string, value: T): T {
  try {
    return JSON.parse(JSON.stringify(value)) as T;
  } catch (error) {
    const why = error instanceof Error ? error.message.split('\n')[0] : 'not serialisable';
    throw new StoreInputError(field, `must be JSON-serialisable (${why})`);
  }
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
 * Applies a shallow patch. A key patched to `undefined` is removed, as it would be after a reload.
 * Fields that identify a record may appear in a patch only with their current value.
 */
function applyPatch<T extends object>(
  collection: string,
  record: T,
  patch: object,
  immutable: readonly string[],
  updatedAt: string,
): void {
  const target = record as Record<string, unknown>;
  for (const [key, value] of Object.entries(patch)) {
    if (immutable.includes(key) && value !== undefined && value !== target[key]) {
      throw new StoreInputError(key, `cannot be changed on a ${collection} once set (was ${String(target[key])})`);
    }
  }
  const stored = toStored('patch', patch) as Record<string, unknown>;
  for (const key of Object.keys(patch)) {
    if (immutable.includes(key)) continue;
    if (key in stored) target[key] = stored[key];
    else delete target[key];
  }
  target.updatedAt = updatedAt;
}

export class LowdbStore implements Store {
  readonly dataDir: string;
  readonly filePath: string;
  private readonly clock: () => Date;
  private readonly adapter: DurableJsonFile<StoreData>;
  private readonly db: Low<StoreData>;
  private readonly openWarnings: string[] = [];
  private state: 'new' | 'opening' | 'open' | 'closed' = 'new';
  private lock: StoreLock | undefined;

  private readonly eventIdByDedupeKey = new Map<string, string>();
  private readonly documentIdByKey = new Map<string, string>();
  private readonly allocatedNumber = new Map<string, number>();

  // Group commit: every mutation takes the next sequence number; a write covers everything applied
  // before it started. `durableSeq` is the highest sequence number known to be on disk.
  private appliedSeq = 0;
  private durableSeq = 0;
  private waiters: Waiter[] = [];
  private flushing: Promise<void> | undefined;

  constructor(private readonly options: LowdbStoreOptions) {
    if (!options || typeof options.dataDir !== 'string' || options.dataDir === '') {
      throw new StoreInputError('dataDir', 'must be the path of the directory where Puente keeps its data');
    }
    this.dataDir = options.dataDir;
    this.filePath = join(options.dataDir, options.fileName ?? DEFAULT_STORE_FILE_NAME);
    this.clock = options.clock ?? (() => new Date());
    this.adapter = new DurableJsonFile<StoreData>(this.filePath, {
      validate: validateStoreData,
      now: this.clock,
      ...(options.writer ? { writer: options.writer } : {}),
    });
    this.db = new Low<StoreData>(this.adapter, emptyData());
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
      this.rebuildIndexes();
      const read = this.adapter.lastRead;
      for (const warning of read?.warnings ?? []) {
        this.openWarnings.push(warning);
        this.options.onWarning?.(warning);
      }
      // close() may have been called while we were opening; it wins.
      if (this.wasClosed()) throw new StoreClosedError('closed', 'open');
      this.state = 'open';
      // Put a good main file back in place right away rather than at the next change.
      if (read?.from === 'backup') await this.commit();
    } catch (error) {
      if (!this.wasClosed()) this.state = 'new';
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
    } finally {
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
      existing.deliveries += 1;
      existing.updatedAt = this.now();
      const copy = structuredClone(existing);
      await this.commit();
      return { event: copy, duplicate: true };
    }
    const stored = toStored('event', event);
    const record: EventRecord = {
      ...stored,
      id: newId('evt'),
      status: stored.status ?? 'received',
      documentIds: [],
      deliveries: 1,
      updatedAt: this.now(),
    };
    data.events[record.id] = record;
    this.eventIdByDedupeKey.set(record.dedupeKey, record.id);
    const copy = structuredClone(record);
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
    const record = this.data('updateEvent').events[id];
    if (!record) throw new RecordNotFoundError('event', id);
    if (patch.receivedAt !== undefined) requireInstant('receivedAt', patch.receivedAt);
    applyPatch('event', record, patch, ['id', 'dedupeKey'], this.now());
    const copy = structuredClone(record);
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
    const stored = toStored('document', document);
    const now = this.now();
    const record: DocumentRecord = {
      ...stored,
      id: newId('doc'),
      status: stored.status ?? 'pending',
      attempts: 0,
      createdAt: now,
      updatedAt: now,
    };
    data.documents[record.id] = record;
    this.documentIdByKey.set(record.idempotencyKey, record.id);
    const copy = structuredClone(record);
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
    const record = this.data('updateDocument').documents[id];
    if (!record) throw new RecordNotFoundError('document', id);
    // `number` changes only through allocateNumber, in the same write as its allocation.
    applyPatch('document', record, patch, ['id', 'idempotencyKey', 'number'], this.now());
    const copy = structuredClone(record);
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
    data.counters[seriesKey] = next;
    (data.allocations[seriesKey] ??= []).push({ seriesKey, number: next, documentId, allocatedAt: now });
    document.number = String(next);
    document.updatedAt = now;
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
    const stored = toStored('batch', batch);
    const now = this.now();
    const record: BatchRecord = {
      ...stored,
      id: newId('bat'),
      status: stored.status ?? 'sending',
      createdAt: now,
      updatedAt: now,
    };
    data.batches[record.id] = record;
    const copy = structuredClone(record);
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
    const record = this.data('updateBatch').batches[id];
    if (!record) throw new RecordNotFoundError('batch', id);
    applyPatch('batch', record, patch, ['id'], this.now());
    const copy = structuredClone(record);
    await this.commit();
    return copy;
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
    // Let every mutation issued in the current turn of the event loop join the first write.
    await Promise.resolve();
    try {
      while (this.waiters.length > 0) {
        const covered = this.appliedSeq;
        let failure: Error | undefined;
        try {
          await this.db.write();
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
      }
    } finally {
      this.flushing = undefined;
    }
  }
}
