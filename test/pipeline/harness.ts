/**
 * What the pipeline unit tests share: a real LowdbStore in a temp dir, the shipped mapping catalog,
 * real Shopify sample bodies parsed the way the receiver parses them, a settable clock, and a
 * scripted TargetConnector that records every call and answers with the outcomes a test scripts.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { apidianWireSchemas } from '../../connectors/apidian/wire.js';
import { parseShopifyJson } from '../../connectors/shopify/payload-json.js';
import {
  SAMPLE_SHOP,
  buildOrder,
  buildRefund,
  toShopifyJson,
  type SampleCancellation,
  type SampleOrder,
  type SampleRefund,
} from '../../connectors/shopify/samples/index.js';
import { ConnectionConfig } from '../../src/config.js';
import type {
  BatchLimits,
  BatchStatus,
  BatchSubmission,
  DocumentOutcome,
  OutgoingBatch,
  OutgoingDocument,
  SourceConnector,
  SourceEvent,
  TargetConnector,
} from '../../src/connector.js';
import { sourceTypes } from '../../connectors/index.js';
import type { DocumentKind } from '../../src/domain/fiscal-document.js';
import { createLogger } from '../../src/log.js';
import { loadMappingCatalog } from '../../src/mapping/catalog.js';
import { Connections, type Connection } from '../../src/pipeline/connections.js';
import { Dispatcher, type DispatcherOptions } from '../../src/pipeline/dispatcher.js';
import { EventProcessor } from '../../src/pipeline/event-processor.js';
import { Inbox } from '../../src/pipeline/inbox.js';
import type { MappingCatalog } from '../../src/pipeline/mapping-port.js';
import { Preparer } from '../../src/pipeline/preparer.js';
import { LowdbStore } from '../../src/store/lowdb-store.js';
import type { DocumentRecord } from '../../src/store/store.js';

export const silentLog = createLogger('silent');
export const SOURCE = `shopify:${SAMPLE_SHOP}`;

/** A clock tests move by hand; every class that takes a clock gets this one. */
export class ManualClock {
  constructor(private ms = Date.parse('2026-03-14T15:30:00.000Z')) {}
  readonly now = (): Date => new Date(this.ms);
  advance(ms: number): void {
    this.ms += ms;
  }
  /** Milliseconds since the epoch, now. */
  get time(): number {
    return this.ms;
  }
}

export interface TempStore {
  store: LowdbStore;
  dir: string;
  close(): Promise<void>;
}

export async function openTempStore(clock: () => Date): Promise<TempStore> {
  const dir = mkdtempSync(path.join(tmpdir(), 'puente-pipeline-'));
  const store = new LowdbStore({ dataDir: dir, clock });
  await store.open();
  return {
    store,
    dir,
    async close() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

let catalog: Promise<MappingCatalog> | undefined;
/** The shipped mappings, loaded once per test file. */
export function shippedMappings(): Promise<MappingCatalog> {
  catalog ??= loadMappingCatalog(path.resolve('mappings'));
  return catalog;
}

// ─── the scripted target ───────────────────────────────────────────────────────────────────────

export type SubmitScript = (batch: OutgoingBatch) => BatchSubmission | Promise<BatchSubmission>;
export type StatusScript = (receipt: Record<string, unknown>, batch: OutgoingBatch) => BatchStatus | Promise<BatchStatus>;
export type LookupScript = (document: OutgoingDocument) => DocumentOutcome | null | Promise<DocumentOutcome | null>;

export type TargetCall =
  | { call: 'submit'; batch: OutgoingBatch }
  | { call: 'status'; receipt: Record<string, unknown>; batch: OutgoingBatch }
  | { call: 'lookup'; document: OutgoingDocument };

export const NUMBERING: Record<string, { series: string; firstNumber: number; lastNumber?: number }> = {
  invoice: { series: 'SETP', firstNumber: 990000000, lastNumber: 995000000 },
  credit_note: { series: 'NC', firstNumber: 1 },
  debit_note: { series: 'ND', firstNumber: 1 },
};

/** Issues every document it is sent, unless a test scripts otherwise. */
export function issueAll(batch: OutgoingBatch): BatchSubmission {
  return { results: batch.documents.map((d) => issued(d)) };
}

/** A CUFE-shaped id (96 hex digits, as SHA-384), derived from the fiscal number. */
export function cufeOf(fiscalNumber: string): string {
  return createHash('sha384').update(fiscalNumber).digest('hex');
}

export function issued(document: OutgoingDocument): DocumentOutcome {
  return {
    documentId: document.documentId,
    outcome: 'issued',
    fiscalNumber: `${document.series}${document.number}`,
    uuid: cufeOf(`${document.series}${document.number}`),
    links: { pdf: `https://target.example/${document.series}${document.number}.pdf` },
  };
}

/**
 * A TargetConnector whose answers are scripted per call. Named `apidian` so the shipped APIDIAN
 * stage-2 mappings apply, and validating wire documents with the real APIDIAN schemas.
 */
export class ScriptedTarget implements TargetConnector {
  readonly name = 'apidian';
  readonly kinds: readonly DocumentKind[] = ['invoice', 'credit_note', 'debit_note'];
  readonly numbering = 'client' as const;
  /** As APIDIAN: any number of the range in any order. Tests of number-ordered APIs set it. */
  sendsInNumberOrder = false;
  batchLimits: BatchLimits = { maxDocuments: 50, maxBytes: 5_000_000, lingerMs: 0 };
  readonly calls: TargetCall[] = [];
  /** Consumed one per call; when empty, the defaults answer. */
  readonly submitScripts: SubmitScript[] = [];
  readonly statusScripts: StatusScript[] = [];
  readonly lookupScripts: LookupScript[] = [];
  numberingRanges = { ...NUMBERING };

  numberingFor(kind: DocumentKind) {
    return this.numberingRanges[kind];
  }

  wireSchema(kind: DocumentKind) {
    return apidianWireSchemas[kind];
  }

  async submit(batch: OutgoingBatch): Promise<BatchSubmission> {
    this.calls.push({ call: 'submit', batch });
    return (this.submitScripts.shift() ?? issueAll)(batch);
  }

  async status(receipt: Record<string, unknown>, batch: OutgoingBatch): Promise<BatchStatus> {
    this.calls.push({ call: 'status', receipt, batch });
    const script = this.statusScripts.shift();
    if (!script) throw new Error('status() was called but the test scripted no answer');
    return script(receipt, batch);
  }

  async lookup(document: OutgoingDocument): Promise<DocumentOutcome | null> {
    this.calls.push({ call: 'lookup', document });
    return (this.lookupScripts.shift() ?? (() => null))(document);
  }

  submitted(): OutgoingBatch[] {
    return this.calls.flatMap((c) => (c.call === 'submit' ? [c.batch] : []));
  }

  /** Each call as `submit:<ids>` / `lookup:<id>` / `status`, in order. */
  trace(): string[] {
    return this.calls.map((c) =>
      c.call === 'submit' ? `submit:${c.batch.documents.map((d) => d.documentId).join(',')}` : c.call === 'lookup' ? `lookup:${c.document.documentId}` : 'status',
    );
  }
}

export function connectionFor(
  target: TargetConnector,
  overrides: Partial<{ id: string; shop: string; settings: Record<string, unknown> }> = {},
): Connection {
  const shop = overrides.shop ?? SAMPLE_SHOP;
  const settings = ConnectionConfig.parse({
    id: overrides.id ?? 'shop',
    source: { type: 'shopify', shop },
    target: 'co',
    timezone: 'America/Bogota',
    ...overrides.settings,
  });
  return { id: settings.id, source: `shopify:${shop}`, sourceSystem: 'shopify', sourceSettings: settings.source, targetAccount: 'co', target, settings };
}

// ─── Shopify events, as the receiver hands them over ───────────────────────────────────────────

let deliveries = 0;
const nextDelivery = () => `delivery-${++deliveries}-${Math.random().toString(36).slice(2, 8)}`;

/** The body as Shopify writes it, read back the way the receiver reads it (ids as strings). */
export function asReceived(wire: ReturnType<typeof buildOrder>): Record<string, unknown> {
  return parseShopifyJson(toShopifyJson(wire)) as Record<string, unknown>;
}

export function paidEvent(order: SampleOrder, options: { source?: string; deliveryId?: string } = {}): SourceEvent {
  return paidEventFor(asReceived(buildOrder(order)), options);
}

/** An orders/paid event for a body already parsed (a demo order, or one a test altered). */
export function paidEventFor(payload: Record<string, unknown>, options: { source?: string; deliveryId?: string } = {}): SourceEvent {
  return {
    source: options.source ?? SOURCE,
    kind: 'order.paid',
    topic: 'orders/paid',
    deliveryId: options.deliveryId ?? nextDelivery(),
    orderId: String(payload.id),
    payload,
  };
}

export function refundEvent(order: SampleOrder, refund: SampleRefund, earlier: SampleRefund[] = [], options: { deliveryId?: string } = {}): SourceEvent {
  const payload = asReceived(buildRefund(order, refund, earlier));
  return {
    source: SOURCE,
    kind: 'order.refunded',
    topic: 'refunds/create',
    deliveryId: options.deliveryId ?? nextDelivery(),
    orderId: String(payload.order_id),
    refundId: String(payload.id),
    payload,
  };
}

export function cancelEvent(order: SampleOrder, cancellation: SampleCancellation): SourceEvent {
  const payload = asReceived(buildOrder(order, cancellation));
  return {
    source: SOURCE,
    kind: 'order.cancelled',
    topic: 'orders/cancelled',
    deliveryId: nextDelivery(),
    orderId: String(payload.id),
    payload,
  };
}

// ─── a pipeline wired from real parts ──────────────────────────────────────────────────────────

export interface Pipeline {
  clock: ManualClock;
  store: LowdbStore;
  target: ScriptedTarget;
  connections: Connections;
  inbox: Inbox;
  events: EventProcessor;
  preparer: Preparer;
  dispatcher: Dispatcher;
  /** Stores the events, processes them, and prepares every pending document (oldest first). */
  receive(...events: SourceEvent[]): Promise<void>;
  prepareAll(): Promise<Record<string, string>>;
  document(id: string): Promise<DocumentRecord>;
  documents(): Promise<DocumentRecord[]>;
  close(): Promise<void>;
}

export async function pipeline(
  options: {
    connections?: (target: ScriptedTarget) => Connection[];
    dispatcher?: Partial<DispatcherOptions>;
    random?: () => number;
    /** Source connectors by type, for events that need completing. */
    sources?: Record<string, SourceConnector>;
  } = {},
): Promise<Pipeline> {
  const clock = new ManualClock();
  const temp = await openTempStore(clock.now);
  const store = temp.store;
  const target = new ScriptedTarget();
  const mappings = await shippedMappings();
  const connections = new Connections(options.connections ? options.connections(target) : [connectionFor(target)]);
  const inbox = new Inbox(store, connections, silentLog, clock.now);
  const events = new EventProcessor(store, connections, silentLog, options.sources ?? {}, clock.now);
  // The buyer's tax id read as the server reads it: by the source type's chain.
  const preparer = new Preparer(store, connections, () => mappings, silentLog, clock.now, (system, order, connection) =>
    sourceTypes[system]?.buyerTaxId?.(order, connection.settings.country, connection.settings.taxId),
  );
  const dispatcher = new Dispatcher(
    store,
    connections,
    silentLog,
    { statusPollMs: 5000, retryBaseMs: 1000, retryMaxMs: 60_000, ...options.dispatcher },
    clock.now,
    options.random ?? (() => 0.5),
  );
  const self: Pipeline = {
    clock,
    store,
    target,
    connections,
    inbox,
    events,
    preparer,
    dispatcher,
    async receive(...sourceEvents) {
      await inbox.accept(sourceEvents);
      await events.processPending();
      await self.prepareAll();
    },
    async prepareAll() {
      const outcomes: Record<string, string> = {};
      const pending = await store.listDocuments({ status: 'pending', limit: 1000 });
      for (const document of pending.reverse()) outcomes[document.id] = await preparer.prepare(document);
      return outcomes;
    },
    async document(id) {
      const document = await store.getDocument(id);
      if (!document) throw new Error(`no document ${id}`);
      return document;
    },
    async documents() {
      return (await store.listDocuments({ limit: 1000 })).reverse();
    },
    close: () => temp.close(),
  };
  return self;
}
