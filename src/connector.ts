/**
 * The two connector interfaces. The pipeline knows connectors only through these.
 */
import type { ZodType } from 'zod';
import type { DocumentKind, FiscalDocument } from './domain/fiscal-document.js';

// ─── Sources ────────────────────────────────────────────────────────────────────────────────────

export const SOURCE_EVENT_KINDS = [
  'order.created',
  'order.paid',
  'order.fulfilled',
  'order.updated',
  'order.edited',
  'order.cancelled',
  'order.refunded',
] as const;
export type SourceEventKind = (typeof SOURCE_EVENT_KINDS)[number];

/** One normalized delivery from a store or ERP, as the source connector parsed it. */
export interface SourceEvent {
  /** `shopify:acme.myshopify.com` */
  source: string;
  kind: SourceEventKind;
  /** The source's own topic name, kept for the admin views (`orders/paid`). */
  topic: string;
  /** The delivery id the source uses to signal duplicates (event id, falling back to webhook id). */
  deliveryId: string;
  /** The order this event is about; always a string (Shopify ids exceed 2^53). */
  orderId: string;
  /** Refund id, for order.refunded. */
  refundId?: string;
  /**
   * Identifies one change to the order (an edit id, or the order's update timestamp), for
   * order.edited / order.updated: a debit note answers exactly one change.
   */
  editId?: string;
  /**
   * Everything the store has charged for the order so far, as a decimal string in the order's
   * currency, refunds not deducted. A raise after invoicing calls for a debit note.
   */
  orderTotal?: string;
  /**
   * For order.refunded: the money the refund returned (decimal string), when the source says. Zero —
   * a restock without money back, a refund whose payment failed — issues no credit note.
   */
  refundAmount?: string;
  /** When the source says it happened, with offset. */
  occurredAt?: string;
  /** The store marked the order as a test (Shopify `test`); issues nothing unless configured to. */
  test?: boolean;
  /** A draft or checkout that is not an order yet (WooCommerce `checkout-draft`). */
  draft?: boolean;
  /**
   * Set by sources that already decided what the document is (an ERP's posted move): the ledger then
   * only links it — a credit or debit note to the invoice whose orderId it carries, keyed by its
   * refundId / editId — and stage 1 maps the move itself instead of comparing order totals.
   */
  decidedDocument?: 'invoice' | 'credit_note' | 'debit_note';
  /**
   * The delivery lacks something the document needs (a WooCommerce refund's lines, a Shopify order's
   * localized tax fields): the pipeline calls the source's `complete` before the ledger sees the event.
   */
  needsCompletion?: boolean;
  payload: unknown;
  /**
   * The payload as JSON text, when the source has it: `JSON.parse(payloadText)` is exactly `payload`.
   * The inbox stores this text instead of the payload, which the source may then parse only when someone
   * reads `payload`.
   */
  payloadText?: string;
}

export interface WebhookRequest {
  rawBody: string;
  /** The same body as the bytes received, when the HTTP door has them: signatures are over these. */
  rawBytes?: Buffer;
  headers: Record<string, string | string[] | undefined>;
  params?: Record<string, string>;
}

export type WebhookVerdict =
  | { ok: true; events: SourceEvent[] }
  | { ok: false; status: 400 | 401 | 404 | 413; error: string };

/** One page of a poll: the events it found and where the next page (or the next sweep) continues. */
export interface PollPage {
  events: SourceEvent[];
  /** Opaque to the pipeline; stored durably after the page's events are, and handed back next time. */
  cursor: string;
  /** How many orders/records this page covered, for progress bars (may exceed events.length). */
  scanned?: number;
  /** When known: how many records the whole run covers. */
  total?: number;
}

export interface PollRequest {
  /** The connection's source key (`woocommerce:shop.example`), which says whose credentials to use. */
  source: string;
  /** Where the last run stopped; undefined on the first run. */
  cursor?: string;
  /** Without a cursor: start at this instant (ISO 8601 with offset). Backfills set it. */
  since?: string;
  signal?: AbortSignal;
}

/** What was issued for an order, for the source to record on it (Shopify metafield and tag, …). */
export interface IssuedDocumentNotice {
  source: string;
  orderId: string;
  documentId: string;
  kind: DocumentKind;
  fiscalNumber: string;
  /** CUFE / CUDE / CDC / control number. */
  uuid?: string;
  links?: { pdf?: string; xml?: string; qr?: string };
  issuedAt: string;
}

export type CompletableEvent = Pick<SourceEvent, 'source' | 'kind' | 'orderId' | 'refundId' | 'editId' | 'payload'>;

export interface SourceConnector {
  readonly name: string;
  webhook?: {
    /**
     * Verifies the delivery on its raw bytes, then parses it. Never throws for bad input. Sources
     * whose secret is per connection get `params.connection` (`/webhooks/<source>/<connection id>`).
     */
    receive(request: WebhookRequest): Promise<WebhookVerdict>;
  };
  /**
   * Lists what changed at the source since the cursor, oldest first, page by page: the reconciliation
   * sweep, backfills, and ERPs without webhooks. Events must carry the same deliveryId every time the
   * same change is listed, so a repeated sweep stores nothing twice.
   */
  poll?(request: PollRequest): AsyncIterable<PollPage>;
  /**
   * Fetches what a delivery marked `needsCompletion` lacks and returns the payload to store instead
   * (the refund as the REST API gives it, the order with its localized fields). Throws when the source
   * cannot be reached; the event is then tried again later, never dropped.
   */
  complete?(event: CompletableEvent): Promise<unknown>;
  /** Records an issued document on its order. Throws when it should be tried again later. */
  writeBack?(notice: IssuedDocumentNotice): Promise<void>;
}

// ─── Targets ────────────────────────────────────────────────────────────────────────────────────

export interface BatchLimits {
  maxDocuments: number;
  maxBytes: number;
  /** How long the batcher waits for more documents before sending a partial batch. */
  lingerMs: number;
}

/** One document as handed to a target: its wire form plus what identifies it. */
export interface OutgoingDocument {
  documentId: string;
  idempotencyKey: string;
  kind: DocumentKind;
  series: string;
  number: string;
  wire: unknown;
  fiscal: FiscalDocument;
}

export interface OutgoingBatch {
  batchId: string;
  kind: DocumentKind;
  series: string;
  documents: OutgoingDocument[];
}

export type DocumentOutcome =
  | {
      documentId: string;
      outcome: 'issued';
      fiscalNumber: string;
      /** CUFE / CUDE / CDC / control number. */
      uuid?: string;
      links?: { pdf?: string; xml?: string; qr?: string };
      messages?: string[];
    }
  | { documentId: string; outcome: 'rejected'; reason: string; field?: string; messages?: string[] }
  /** Accepted for processing; `status(receipt)` will tell later. */
  | { documentId: string; outcome: 'pending'; uuid?: string }
  /**
   * The target could not be reached for this document; retry it (after lookup). `notSent`: the target
   * did not even try it — it waits for another document (a number before it) or for the series — so it
   * is not counted as an attempt of its own.
   */
  | { documentId: string; outcome: 'failed'; kind: 'retryable' | 'rate_limited' | 'auth' | 'unknown_outcome'; reason: string; retryAfterMs?: number; notSent?: boolean };

/** What a target returns for a submitted batch: per-document outcomes and, when asynchronous, a receipt. */
export interface BatchSubmission {
  results: DocumentOutcome[];
  /** Target-specific handle to ask for the outcome later (APIDIAN ZipKey). JSON-serializable. */
  receipt?: Record<string, unknown>;
}

export interface BatchStatus {
  done: boolean;
  results: DocumentOutcome[];
}

/** What a target's callback (webhook) says about documents, keyed by the idempotency key Puente sent. */
export type TargetCallbackVerdict =
  | {
      ok: true;
      /** The target's event id: the same on every redelivery. */
      eventId: string;
      results: { idempotencyKey: string; outcome: DocumentOutcome }[];
    }
  | { ok: false; status: 400 | 401 | 413; error: string };

/**
 * Numbers of a client-numbered series that will never carry a document (a voided document's), to be
 * declared unused at the tax authority where it allows that (SIFEN inutilización).
 */
export interface NumberClosureRequest {
  kind: DocumentKind;
  series: string;
  from: number;
  to: number;
  /** Why, 5–500 characters (SIFEN's motivo). */
  reason: string;
}

export interface TargetConnector {
  readonly name: string;
  readonly kinds: readonly DocumentKind[];
  /** `client`: Puente allocates consecutive numbers; `server`: the target numbers documents. */
  readonly numbering: 'client' | 'server';
  /**
   * The API takes a client-numbered series only in number order — it refuses a number before its
   * predecessor (Unidigital continues from its counter) — so nothing is sent past a number that is
   * backing off. Absent: any number of the authorized range is taken in any order (DIAN, SIFEN), and
   * one document that keeps failing never holds up the others.
   */
  readonly sendsInNumberOrder?: boolean;
  readonly batchLimits: BatchLimits;
  /**
   * For `client` numbering: the series (prefix) documents of this kind are numbered in, and the first
   * number of its authorized range. undefined when the account cannot issue that kind.
   */
  numberingFor?(kind: DocumentKind): { series: string; firstNumber: number; lastNumber?: number } | undefined;
  /** The zod schema a wire document of this kind must satisfy before it is sent. */
  wireSchema(kind: DocumentKind): ZodType;
  submit(batch: OutgoingBatch): Promise<BatchSubmission>;
  status(receipt: Record<string, unknown>, batch: OutgoingBatch): Promise<BatchStatus>;
  /** After a crash or an unknown outcome: did this document reach the target? null = no record. */
  lookup(document: OutgoingDocument): Promise<DocumentOutcome | null>;
  /**
   * For targets that call back (tuimprenta webhooks): verifies a delivery on its raw bytes and says
   * what it means for which documents. Polling `status` stays the fallback.
   */
  callback?(request: WebhookRequest): TargetCallbackVerdict;
  /**
   * For `client` numbering where the authority lets an issuer close numbers it will not use: closes
   * from..to of a series. Resolves when they are closed, also when the target says they already were
   * (an earlier attempt whose answer was lost: Puente alone numbers its series); throws TargetError
   * otherwise. Absent: the authority has no such call and unused numbers simply stay unused.
   */
  closeNumbers?(request: NumberClosureRequest): Promise<{ reference?: string; alreadyClosed?: boolean }>;
}
