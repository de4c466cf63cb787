/**
 * The Store: the only place state lives. Every implementation passes the shared conformance battery
 * in test/store/battery.ts. Each method is atomic and durable when its promise resolves.
 *
 * An implementation may move finished records out of its working set (the lowdb store archives issued
 * documents and their events after a retention). That never shows to callers except in the default
 * scope of the list methods: lookups by id, business key, dedupe key (within the redelivery window) and
 * order still find archived records, creations stay idempotent against them, and an update of an
 * archived record works (it becomes current again).
 */
import type { SourceEventKind } from '../connector.js';
import type { DocumentKind, FiscalDocument } from '../domain/fiscal-document.js';

/**
 * received: stored, not yet looked at · waiting: needs something that has not happened yet (a refund
 * whose invoice does not exist yet) and is looked at again · processed: its documents exist ·
 * ignored: means nothing for this connection (with the reason) · unroutable: no connection for its
 * source yet · needs_attention: cannot be processed until someone acts.
 */
export type EventStatus = 'received' | 'waiting' | 'processed' | 'ignored' | 'unroutable' | 'needs_attention';

export interface Attention {
  /** A sentence an ERP admin can act on. */
  reason: string;
  /** Field path the problem is about (`lines[2].taxes[0].code`), when there is one. */
  path?: string;
  /** Where it came from: `mapping`, `domain`, `rejected`, `auth`, … */
  kind: string;
}

export interface EventRecord {
  id: string;
  /** `source:deliveryId` — unique; a second delivery with the same key is a duplicate. */
  dedupeKey: string;
  source: string;
  connectionId: string | null;
  kind: SourceEventKind;
  topic: string;
  orderId: string;
  refundId?: string;
  /** See SourceEvent.editId. */
  editId?: string;
  /** See SourceEvent.orderTotal. */
  orderTotal?: string;
  /** See SourceEvent.refundAmount. */
  refundAmount?: string;
  occurredAt?: string;
  /** See SourceEvent.test / draft. */
  test?: boolean;
  draft?: boolean;
  /** See SourceEvent.decidedDocument. */
  decidedDocument?: 'invoice' | 'credit_note' | 'debit_note';
  /** See SourceEvent.needsCompletion; cleared once `complete` replaced the payload. */
  needsCompletion?: boolean;
  receivedAt: string;
  payload: unknown;
  status: EventStatus;
  attention?: Attention;
  /** Why an event was ignored or is waiting. */
  note?: string;
  documentIds: string[];
  /** How many times this delivery arrived (1 + duplicates). */
  deliveries: number;
  updatedAt: string;
}

export type NewEvent = Omit<EventRecord, 'id' | 'status' | 'documentIds' | 'deliveries' | 'updatedAt'> & {
  status?: EventStatus;
};

export type DocumentStatus =
  /** Created; waiting for mapping and numbering. */
  | 'pending'
  /** Mapped, numbered, wire document validated; waiting for a batch. */
  | 'ready'
  /** In a batch being sent or awaiting the target's verdict. */
  | 'in_flight'
  | 'issued'
  | 'needs_attention'
  /** Not sent on purpose (nothing to issue, superseded). */
  | 'skipped';

export interface DocumentResult {
  fiscalNumber: string;
  uuid?: string;
  links?: { pdf?: string; xml?: string; qr?: string };
  messages?: string[];
  issuedAt: string;
}

/** What became of a voided document's fiscal number (src/pipeline/number-closures.ts). */
export type NumberClosureState =
  /** Queued: the target is asked to close it (SIFEN inutilización). */
  | 'pending'
  | 'closed'
  /** The target refused to close it; `note` says why. */
  | 'failed'
  /** The target's authority has no way to close a number: it stays unused (DIAN resolutions). */
  | 'not_supported'
  /** There is no number to close (never allocated, server-numbered target, outside the range). */
  | 'not_needed';

export interface NumberClosure {
  state: NumberClosureState;
  /** A sentence: why it is not needed or not supported, why it failed, or how it was closed. */
  note?: string;
  /** The target's id of the closing event, when it gave one. */
  reference?: string;
  /** When it reached its final state. */
  at?: string;
}

/** An operator decided a parked document will never be issued (POST /api/documents/:id/void). */
export interface VoidRecord {
  reason: string;
  at: string;
  /** What had parked the document. */
  parkedFor?: Attention;
  numberClosure: NumberClosure;
}

export interface DocumentRecord {
  id: string;
  /** Deterministic key of the legal document (source, order, kind, refund/edit id). Unique. */
  idempotencyKey: string;
  connectionId: string;
  target: string;
  kind: DocumentKind;
  source: string;
  orderId: string;
  /** refund id or edit id that this note is for. */
  subjectId?: string;
  eventId: string;
  series: string;
  /** Allocated by numbering; once set, never changes. */
  number?: string;
  status: DocumentStatus;
  fiscal?: FiscalDocument;
  wire?: unknown;
  result?: DocumentResult;
  attention?: Attention;
  batchId?: string;
  /** The invoice a note refers to. */
  referenceDocumentId?: string;
  /**
   * The store's order total this document accounts for (invoice: at invoicing; debit note: after
   * the raise it answers). The ledger compares new totals against the highest of these.
   */
  sourceTotal?: string;
  attempts: number;
  /**
   * The last send's outcome is unknown (timeout, dropped connection, crash while in flight): the
   * target must be asked whether it has the document before it is sent again.
   */
  uncertain?: boolean;
  /** Do not send before this instant (rate limits, backoff). */
  notBefore?: string;
  provenance?: { mappings: { id: string; revision: number; contentHash: string }[] };
  /** Set when an operator voided the document: it is `skipped` and never sent (src/pipeline/void.ts). */
  voided?: VoidRecord;
  createdAt: string;
  updatedAt: string;
}

export type NewDocument = Omit<DocumentRecord, 'id' | 'attempts' | 'createdAt' | 'updatedAt' | 'status'> & {
  status?: DocumentStatus;
};

export type BatchStatus = 'sending' | 'awaiting_result' | 'completed' | 'failed';

export interface BatchRecord {
  id: string;
  connectionId: string;
  target: string;
  kind: DocumentKind;
  series: string;
  documentIds: string[];
  status: BatchStatus;
  /** Target-specific handle for status polling (APIDIAN ZipKey). */
  receipt?: Record<string, unknown>;
  error?: string;
  createdAt: string;
  updatedAt: string;
}

export type NewBatch = Omit<BatchRecord, 'id' | 'createdAt' | 'updatedAt' | 'status'> & { status?: BatchStatus };

export interface NumberAllocation {
  seriesKey: string;
  number: number;
  documentId: string;
  allocatedAt: string;
}

/**
 * A small keyed value the pipeline and connectors keep between runs: a sweep's cursor, a shop's
 * encrypted session, settings a store owner saved. Values are JSON; keys are namespaced by their
 * owner (`cursor:shopify:acme.myshopify.com`).
 */
export interface StateEntry<T = unknown> {
  key: string;
  value: T;
  updatedAt: string;
}

/** `newest` first (the default: admin views) or `oldest` first (work queues: longest-waiting first). */
export type ListOrder = 'newest' | 'oldest';

export interface Page {
  limit?: number;
  order?: ListOrder;
}

/**
 * Which records a list covers. By default only the hot set: work in progress and recent history.
 * `include` adds the archive (finished records moved out of the hot set after their retention), `only`
 * lists the archive alone. A query by `orderId` always includes the archive: an order's invoice is
 * looked up months later when its refund arrives.
 */
export type ArchiveScope = 'include' | 'only';

export interface EventQuery extends Page {
  archived?: ArchiveScope;
  status?: EventStatus;
  source?: string;
  orderId?: string;
}

export interface DocumentQuery extends Page {
  archived?: ArchiveScope;
  status?: DocumentStatus;
  connectionId?: string;
  orderId?: string;
  kind?: DocumentKind;
}

export interface BatchQuery extends Page {
  archived?: ArchiveScope;
  status?: BatchStatus;
  connectionId?: string;
}

/**
 * What `recordEvent` answers. The webhook path needs only the id, the status and whether it was a
 * duplicate; `event`, a copy of the whole stored record, is made when first read (a payload is
 * kilobytes of JSON, and copying it on every delivery was a tenth of the acknowledgement's cost).
 */
export interface RecordedEvent {
  id: string;
  status: EventStatus;
  duplicate: boolean;
  readonly event: EventRecord;
}

export interface RecordEventOptions {
  /**
   * The caller hands the event over: it never reads or changes the object (its payload included)
   * again, so the store may keep it instead of a copy. A store still copies whatever is not plain JSON
   * data, so what it keeps is always exactly what it writes.
   */
  handOver?: boolean;
  /**
   * The event's payload as JSON text: when given, the payload stored is `JSON.parse(payloadText)` and
   * `event.payload` is not read. A store may keep and write the text as it is.
   */
  payloadText?: string;
}

export interface Store {
  /** Opens the store; refuses with StoreLockedError if another process holds it. */
  open(): Promise<void>;
  /** Flushes pending writes and releases the store. */
  close(): Promise<void>;

  // inbox
  /** Stores an event unless its dedupeKey is known; a duplicate only bumps `deliveries`. */
  recordEvent(event: NewEvent, options?: RecordEventOptions): Promise<RecordedEvent>;
  getEvent(id: string): Promise<EventRecord | undefined>;
  listEvents(query?: EventQuery): Promise<EventRecord[]>;
  updateEvent(id: string, patch: Partial<Omit<EventRecord, 'id' | 'dedupeKey'>>): Promise<EventRecord>;

  // documents
  /** Creates a document unless its idempotencyKey is known; then returns the existing one. */
  createDocument(document: NewDocument): Promise<{ document: DocumentRecord; duplicate: boolean }>;
  getDocument(id: string): Promise<DocumentRecord | undefined>;
  findDocumentByKey(idempotencyKey: string): Promise<DocumentRecord | undefined>;
  listDocuments(query?: DocumentQuery): Promise<DocumentRecord[]>;
  /**
   * With `ifStatus`, the patch is applied only if the document still has that status when it is written
   * (checked and written as one step); otherwise DocumentStatusChangedError, and nothing changes.
   */
  updateDocument(id: string, patch: Partial<Omit<DocumentRecord, 'id' | 'idempotencyKey' | 'number'>>, options?: DocumentUpdateOptions): Promise<DocumentRecord>;

  /**
   * Allocates the next number of a series to a document, in the same durable write that records the
   * document's number. Idempotent: a document that already has a number in this series gets it back.
   * The first number of a series is `firstNumber`.
   */
  allocateNumber(seriesKey: string, documentId: string, firstNumber: number): Promise<number>;
  listAllocations(seriesKey: string): Promise<NumberAllocation[]>;

  // batches
  createBatch(batch: NewBatch): Promise<BatchRecord>;
  getBatch(id: string): Promise<BatchRecord | undefined>;
  listBatches(query?: BatchQuery): Promise<BatchRecord[]>;
  updateBatch(id: string, patch: Partial<Omit<BatchRecord, 'id'>>): Promise<BatchRecord>;

  // keyed state (cursors, sessions, saved settings)
  getState<T = unknown>(key: string): Promise<StateEntry<T> | undefined>;
  /** Replaces the value under `key` (JSON only). */
  putState<T = unknown>(key: string, value: T): Promise<StateEntry<T>>;
  /** Removes `key`; true when it existed. */
  deleteState(key: string): Promise<boolean>;
  /** Every entry whose key starts with `prefix`, in key order. */
  listState<T = unknown>(prefix: string): Promise<StateEntry<T>[]>;
}

export class StoreLockedError extends Error {
  constructor(readonly dataDir: string, readonly holderPid: number | undefined) {
    super(
      `The data directory ${dataDir} is in use by another Puente process` +
        (holderPid ? ` (pid ${holderPid})` : '') +
        '. Stop that process, or point this one at another directory with PUENTE_DATA_DIR.',
    );
    this.name = 'StoreLockedError';
  }
}

export interface DocumentUpdateOptions {
  ifStatus?: DocumentStatus;
}

/** A conditional update found the document in another status than the caller saw (someone else acted first). */
export class DocumentStatusChangedError extends Error {
  constructor(
    readonly id: string,
    readonly expected: DocumentStatus,
    readonly actual: DocumentStatus,
  ) {
    super(`document ${id} is ${actual} now, no longer ${expected}: it changed meanwhile`);
    this.name = 'DocumentStatusChangedError';
  }
}

export class RecordNotFoundError extends Error {
  constructor(readonly collection: string, readonly id: string) {
    super(`No ${collection} with id ${id}`);
    this.name = 'RecordNotFoundError';
  }
}
