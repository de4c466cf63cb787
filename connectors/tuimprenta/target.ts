/**
 * tuimprenta.digital as a TargetConnector.
 *
 * - Numbering is the imprenta's (`numbering: 'server'`): it assigns the number (per series and
 *   document type) and the control number (SENIAT art. 30). Puente allocates nothing; the series
 *   comes from the wire (`targetSettings.series` in the mapping).
 * - Every document goes out with Puente's idempotency key as `Idempotency-Key` (and, for batches,
 *   as the row's `idempotency_key`), and the key is also written into `metadata` so the document can
 *   be found in the invoice list once the API has forgotten the key.
 * - Small groups go one `POST /v1/invoices` each; from `batch.batchFrom` documents, one
 *   `POST /v1/batches`. Both are asynchronous at worst: `status` polls the invoice or the batch.
 * - A full annulment (a credit note whose correction is `annulment`) is `POST /v1/invoices/{id}/cancel`
 *   on the invoice it cites; partial notes are ordinary documents with `document_type` and
 *   `related_invoice` (see `isFullAnnulment` and the README: an assumption, the API publishes only
 *   `cancel`).
 * - `lookup` replays the key while the API still remembers it (same key and body → the stored
 *   answer), and searches the list by metadata afterwards.
 */
import { z } from 'zod';
import type {
  BatchStatus,
  BatchSubmission,
  DocumentOutcome,
  OutgoingBatch,
  OutgoingDocument,
  TargetConnector,
} from '../../src/connector.js';
import type { DocumentKind } from '../../src/domain/fiscal-document.js';
import { TargetError } from '../../src/errors.js';
import type { TargetCallbackVerdict, WebhookRequest } from '../../src/connector.js';
import { receiveTuimprentaWebhook } from './webhook.js';
import { TuimprentaClient, TuimprentaError, type BatchInvoice, type TuimprentaClientOptions, type TuimprentaLogger } from './client.js';
import { parseTuimprentaTargetConfig, type TuimprentaTargetConfig, type TuimprentaTargetConfigInput } from './config.js';
import {
  FINAL_BATCH_STATUSES,
  PUENTE_KEY_METADATA,
  fiscalNumberOf,
  outcomeFromInvoice,
  type BatchResultRow,
  type InvoiceResource,
} from './responses.js';
import { tuimprentaWireSchemas, type TuimprentaInvoiceRequest } from './wire.js';

export interface TuimprentaTargetDeps {
  logger?: TuimprentaLogger;
  fetch?: typeof globalThis.fetch;
  client?: Pick<TuimprentaClientOptions, 'timeouts' | 'retry' | 'resetMarginMs'>;
  now?: () => number;
}

/** What `submit` returns and `status` reads back; plain JSON for the store. */
export interface TuimprentaReceipt {
  [key: string]: unknown;
  /** Documents sent one by one and still processing: documentId → tuimprenta invoice id. */
  invoices: Record<string, string>;
  /** A batch: its id and, per document, the idempotency key of its row. */
  batch?: { id: string; keys: Record<string, string> };
}

export interface TuimprentaTarget extends TargetConnector {
  readonly name: 'tuimprenta';
  readonly numbering: 'server';
  readonly statusPollMs: number;
  readonly client: TuimprentaClient;
  /** The secret webhooks are verified with (config `webhookSecret`), for the HTTP route. */
  readonly webhookSecret: string | undefined;
  /** The body Puente sends for a document: its wire plus its key in metadata. */
  requestBodyFor(document: OutgoingDocument): TuimprentaInvoiceRequest;
  close(): Promise<void>;
}

const DEFAULT_STATUS_POLL_MS = 5_000;
/** A key is replayed only this long before the API forgets it, so a replay can never issue anew. */
const RETENTION_SAFETY_MS = 3_600_000;
/** Past the retention window, at most this many list pages of 100 are searched for a document. */
const MAX_SCAN_PAGES = 20;

/**
 * The one place that decides how a note is sent. tuimprenta's published surface offers only
 * `cancel`, which "cancels or issues the related note as regulation requires": Puente uses it when a
 * credit note annuls what remains of an invoice (the order was cancelled). Every other note —
 * partial refunds, raised totals — is sent as a document with `document_type` and `related_invoice`.
 */
export function isFullAnnulment(document: Pick<OutgoingDocument, 'kind' | 'fiscal'>): boolean {
  return document.kind === 'credit_note' && document.fiscal?.correction?.code === 'annulment';
}

export function createTuimprentaTarget(
  configInput: TuimprentaTargetConfigInput | TuimprentaTargetConfig,
  deps: TuimprentaTargetDeps = {},
): TuimprentaTarget {
  const config = parseTuimprentaTargetConfig(configInput);
  const logger = deps.logger;
  const now = deps.now ?? Date.now;
  const client = new TuimprentaClient({
    baseUrl: config.baseUrl,
    apiKey: config.apiKey,
    requestsPerMinute: config.requestsPerMinute,
    now,
    ...(deps.fetch ? { fetch: deps.fetch } : {}),
    ...(logger ? { logger } : {}),
    ...deps.client,
  });
  const retentionMs = config.idempotencyRetentionHours * 3_600_000;

  function requestBodyFor(document: OutgoingDocument): TuimprentaInvoiceRequest {
    const wire = document.wire as TuimprentaInvoiceRequest;
    return { ...wire, metadata: { ...wire.metadata, [PUENTE_KEY_METADATA]: document.idempotencyKey } };
  }

  function failedBy(document: OutgoingDocument, error: TargetError): DocumentOutcome {
    if (error.kind === 'rejected') {
      return {
        documentId: document.documentId,
        outcome: 'rejected',
        reason: reasonOf(error),
        ...(error.field ? { field: error.field } : {}),
        ...(error.messages.length ? { messages: error.messages } : {}),
      };
    }
    return {
      documentId: document.documentId,
      outcome: 'failed',
      kind: error.kind,
      reason: error.message,
      ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}),
    };
  }

  /** Fresh state for a document the API answered while it was still processing. */
  async function current(invoice: InvoiceResource): Promise<InvoiceResource> {
    return invoice.status === 'processing' ? client.getInvoice(invoice.id) : invoice;
  }

  // ─── annulments (cancel) ───────────────────────────────────────────────────────────────────

  /** The invoice an annulling note cites, found by its control number in the list. */
  async function citedInvoice(document: OutgoingDocument): Promise<InvoiceResource | undefined> {
    const wire = document.wire as TuimprentaInvoiceRequest;
    const cited = wire.related_invoice;
    if (!cited) return undefined;
    // created_from a day before the cited date: the imprenta's clock and the document's offset may differ.
    const from = new Date(Date.parse(`${cited.issue_date}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
    for await (const page of client.invoicePages({ limit: 100, series: wire.series, createdFrom: from }, MAX_SCAN_PAGES)) {
      const found = page.data.find((invoice) => invoice.control_number === cited.control_number && invoice.document_type === 'invoice');
      if (found) return found;
    }
    return undefined;
  }

  async function outcomeOfCancellation(document: OutgoingDocument, invoice: InvoiceResource): Promise<DocumentOutcome> {
    const cancellation = invoice.cancellation!;
    if (cancellation.method === 'annulment') {
      return {
        documentId: document.documentId,
        outcome: 'issued',
        fiscalNumber: `${fiscalNumberOf(invoice)}/ANULADA`,
        ...(invoice.control_number ? { uuid: invoice.control_number } : {}),
        messages: [`tuimprenta annulled invoice ${fiscalNumberOf(invoice)} (control ${invoice.control_number ?? '?'}) outright; no credit note was needed`],
      };
    }
    const noteId = cancellation.credit_note_id;
    if (!noteId) throw new TuimprentaError('unknown_outcome', 'tuimprenta cancelled the invoice through a credit note but did not name it');
    const note = await client.getInvoice(noteId);
    const outcome = outcomeFromInvoice(document.documentId, note);
    return outcome.outcome === 'issued'
      ? { ...outcome, messages: [`tuimprenta issued this credit note when it cancelled invoice ${fiscalNumberOf(invoice)}`] }
      : outcome;
  }

  async function annul(document: OutgoingDocument): Promise<DocumentOutcome> {
    const wire = document.wire as TuimprentaInvoiceRequest;
    const invoice = await citedInvoice(document);
    if (!invoice) {
      return {
        documentId: document.documentId,
        outcome: 'rejected',
        reason: `the invoice to cancel (control number ${wire.related_invoice?.control_number ?? '(none)'}) is not in this tuimprenta account`,
        field: 'related_invoice.control_number',
      };
    }
    if (invoice.status === 'cancelled' && invoice.cancellation) return outcomeOfCancellation(document, invoice);
    try {
      const cancelled = await client.cancelInvoice(invoice.id, wire.reason?.description);
      return await outcomeOfCancellation(document, cancelled);
    } catch (error) {
      if (error instanceof TuimprentaError && error.code === 'invoice_already_cancelled') {
        // Someone (an earlier attempt whose answer was lost) cancelled it already: report that.
        const again = await client.getInvoice(invoice.id);
        if (again.cancellation) return outcomeOfCancellation(document, again);
      }
      throw error;
    }
  }

  async function lookupAnnulment(document: OutgoingDocument): Promise<DocumentOutcome | null> {
    const invoice = await citedInvoice(document);
    if (!invoice || invoice.status !== 'cancelled' || !invoice.cancellation) return null;
    return outcomeOfCancellation(document, invoice);
  }

  // ─── submit ────────────────────────────────────────────────────────────────────────────────

  async function submit(batch: OutgoingBatch): Promise<BatchSubmission> {
    const outcomes = new Map<string, DocumentOutcome>();
    const receipt: TuimprentaReceipt = { invoices: {} };
    let stoppedBy: TargetError | undefined;

    const annulments = batch.documents.filter(isFullAnnulment);
    const documents = batch.documents.filter((d) => !isFullAnnulment(d));

    for (const document of annulments) {
      try {
        outcomes.set(document.documentId, await annul(document));
      } catch (error) {
        if (!(error instanceof TargetError)) throw error;
        outcomes.set(document.documentId, failedBy(document, error));
        if (error.kind !== 'rejected') {
          stoppedBy = error.kind === 'unknown_outcome' ? new TuimprentaError('retryable', 'not sent: an earlier request of this batch lost its answer') : error;
          break;
        }
      }
    }

    if (!stoppedBy && documents.length >= config.batch.batchFrom) {
      const items: BatchInvoice[] = documents.map((d) => ({ ...requestBodyFor(d), idempotency_key: d.idempotencyKey }));
      try {
        const created = await client.createBatch(items);
        receipt.batch = { id: created.id, keys: Object.fromEntries(documents.map((d) => [d.documentId, d.idempotencyKey])) };
        for (const document of documents) outcomes.set(document.documentId, { documentId: document.documentId, outcome: 'pending' });
        logger?.debug({ batchId: batch.batchId, tuimprentaBatch: created.id, documents: documents.length }, 'tuimprenta: batch accepted');
      } catch (error) {
        if (!(error instanceof TargetError)) throw error;
        logger?.warn({ batchId: batch.batchId, kind: error.kind }, 'tuimprenta: batch not accepted');
        for (const document of documents) outcomes.set(document.documentId, failedBy(document, error));
      }
    } else if (!stoppedBy) {
      for (const document of documents) {
        try {
          const { invoice } = await client.createInvoice(requestBodyFor(document), document.idempotencyKey);
          const outcome = outcomeFromInvoice(document.documentId, invoice);
          if (outcome.outcome === 'pending') receipt.invoices[document.documentId] = invoice.id;
          outcomes.set(document.documentId, outcome);
        } catch (error) {
          if (!(error instanceof TargetError)) throw error;
          outcomes.set(document.documentId, failedBy(document, error));
          if (error.kind !== 'rejected') {
            // Auth, rate limit, outage or a lost answer hit every document alike: the rest wait.
            stoppedBy = error.kind === 'unknown_outcome' ? new TuimprentaError('retryable', 'not sent: an earlier request of this batch lost its answer') : error;
            break;
          }
        }
      }
    }

    const results = batch.documents.map((d) => outcomes.get(d.documentId) ?? failedBy(d, stoppedBy ?? new TuimprentaError('retryable', 'not sent')));
    const pending = results.some((r) => r.outcome === 'pending');
    return pending ? { results, receipt } : { results };
  }

  // ─── status ────────────────────────────────────────────────────────────────────────────────

  function outcomeOfRow(document: OutgoingDocument, row: BatchResultRow): DocumentOutcome | Promise<DocumentOutcome> {
    if (row.status === 'succeeded' && row.invoice) {
      const outcome = outcomeFromInvoice(document.documentId, row.invoice);
      if (outcome.outcome !== 'pending') return outcome;
      return client.getInvoice(row.invoice.id).then((fresh) => outcomeFromInvoice(document.documentId, fresh));
    }
    const error = row.error;
    if (!error) return { documentId: document.documentId, outcome: 'failed', kind: 'unknown_outcome', reason: 'the batch result names no invoice and no error for this row' };
    if (error.code === 'idempotency_key_in_use') {
      return { documentId: document.documentId, outcome: 'failed', kind: 'unknown_outcome', reason: `tuimprenta: ${error.message}` };
    }
    if (error.type === 'api_error' || error.type === 'rate_limit_error') {
      return { documentId: document.documentId, outcome: 'failed', kind: 'retryable', reason: `tuimprenta: ${error.message}` };
    }
    return {
      documentId: document.documentId,
      outcome: 'rejected',
      reason: error.message,
      ...(error.field ? { field: error.field } : {}),
      messages: [`${error.type}${error.code ? `/${error.code}` : ''}: ${error.message}`],
    };
  }

  async function status(receiptInput: Record<string, unknown>, batch: OutgoingBatch): Promise<BatchStatus> {
    const receipt = readReceipt(receiptInput);
    const results: DocumentOutcome[] = [];
    for (const document of batch.documents) {
      const invoiceId = receipt.invoices[document.documentId];
      if (invoiceId) results.push(outcomeFromInvoice(document.documentId, await client.getInvoice(invoiceId)));
    }
    if (receipt.batch) {
      const inBatch = batch.documents.filter((d) => receipt.batch!.keys[d.documentId]);
      const state = await client.getBatch(receipt.batch.id);
      if (!FINAL_BATCH_STATUSES.has(state.status)) {
        for (const document of inBatch) results.push({ documentId: document.documentId, outcome: 'pending' });
      } else {
        const result = await client.batchResult(receipt.batch.id);
        const byKey = new Map(result.data.filter((row) => row.idempotency_key).map((row) => [row.idempotency_key!, row]));
        for (const document of inBatch) {
          const row = byKey.get(receipt.batch.keys[document.documentId]!);
          results.push(
            row
              ? await outcomeOfRow(document, row)
              : { documentId: document.documentId, outcome: 'failed', kind: 'unknown_outcome', reason: 'the finished batch has no row for this document' },
          );
        }
      }
    }
    return { done: results.every((r) => r.outcome !== 'pending'), results };
  }

  // ─── lookup ────────────────────────────────────────────────────────────────────────────────

  async function lookup(document: OutgoingDocument): Promise<DocumentOutcome | null> {
    if (isFullAnnulment(document)) return lookupAnnulment(document);
    const wire = document.wire as TuimprentaInvoiceRequest;
    const firstSentNoEarlierThan = Date.parse(wire.issued_at);
    if (Number.isFinite(firstSentNoEarlierThan) && now() - firstSentNoEarlierThan < retentionMs - RETENTION_SAFETY_MS) {
      return replay(document);
    }
    return search(document);
  }

  /**
   * Same key, same body: the API answers what it answered the first time, or — if the first request
   * never arrived — carries it out now. Either way exactly one document exists afterwards.
   */
  async function replay(document: OutgoingDocument): Promise<DocumentOutcome | null> {
    try {
      const { invoice } = await client.createInvoice(requestBodyFor(document), document.idempotencyKey);
      return outcomeFromInvoice(document.documentId, await current(invoice));
    } catch (error) {
      if (!(error instanceof TuimprentaError)) throw error;
      // A batch still holds the key: the document is on its way.
      if (error.code === 'idempotency_key_in_use') return { documentId: document.documentId, outcome: 'pending' };
      if (error.kind === 'rejected') return failedBy(document, error);
      throw error;
    }
  }

  /** Past the key's retention a replay could issue a second document, so search by metadata instead. */
  async function search(document: OutgoingDocument): Promise<DocumentOutcome | null> {
    const wire = document.wire as TuimprentaInvoiceRequest;
    const from = new Date(Date.parse(wire.issued_at) - 86_400_000).toISOString().slice(0, 10);
    let pages = 0;
    for await (const page of client.invoicePages({ limit: 100, series: wire.series, createdFrom: from }, MAX_SCAN_PAGES)) {
      pages++;
      const found = page.data.find((invoice) => invoice.metadata[PUENTE_KEY_METADATA] === document.idempotencyKey);
      if (found) return outcomeFromInvoice(document.documentId, found);
      if (!page.next_cursor) return null;
    }
    throw new TuimprentaError('retryable', `searched ${pages} pages of invoices without reaching the end; cannot tell whether the document exists`);
  }

  return {
    name: 'tuimprenta',
    kinds: ['invoice', 'credit_note', 'debit_note'] satisfies DocumentKind[],
    numbering: 'server',
    // The imprenta numbers every document; Puente has no range to allocate from.
    numberingFor: () => undefined,
    batchLimits: { maxDocuments: config.batch.maxDocuments, maxBytes: config.batch.maxBytes, lingerMs: config.batch.lingerMs },
    statusPollMs: config.statusPollMs ?? DEFAULT_STATUS_POLL_MS,
    client,
    webhookSecret: config.webhookSecret,
    callback(request: WebhookRequest): TargetCallbackVerdict {
      const verdict = receiveTuimprentaWebhook(request, { secret: config.webhookSecret });
      if (!verdict.ok) return verdict;
      const { event } = verdict;
      if (event.category !== 'invoice') return { ok: true, eventId: event.id, results: [] };
      // The invoice carries Puente's idempotency key in its metadata: that names the document.
      const key = (event.invoice.metadata as Record<string, unknown> | undefined)?.[PUENTE_KEY_METADATA];
      if (typeof key !== 'string') return { ok: true, eventId: event.id, results: [] };
      return { ok: true, eventId: event.id, results: [{ idempotencyKey: key, outcome: outcomeFromInvoice('', event.invoice) }] };
    },
    wireSchema: (kind) => (kind === 'export_invoice' ? NO_EXPORT_INVOICE : tuimprentaWireSchemas[kind]),
    requestBodyFor,
    submit,
    status,
    lookup,
    close: () => client.close(),
  };
}

/** tuimprenta has no export type: foreign currency is an invoice with currency and exchange_rate. */
const NO_EXPORT_INVOICE = z.unknown().superRefine((_value, ctx) => {
  ctx.addIssue({ code: 'custom', message: 'tuimprenta has no export invoice; send an invoice with currency and exchange_rate instead' });
});

function reasonOf(error: TargetError): string {
  if (error instanceof TuimprentaError && error.code === 'idempotency_key_reused') {
    return 'tuimprenta already holds a document created under this idempotency key with a different body (it was changed after it was first sent); it will not be issued twice — compare with the document in tuimprenta before correcting it with a note';
  }
  return error.message;
}

function readReceipt(receipt: Record<string, unknown>): TuimprentaReceipt {
  const invoices = receipt.invoices;
  const batch = receipt.batch as TuimprentaReceipt['batch'] | undefined;
  if (typeof invoices !== 'object' || invoices === null || (batch !== undefined && (typeof batch.id !== 'string' || typeof batch.keys !== 'object'))) {
    throw new TargetError('rejected', 'not a tuimprenta receipt: it needs invoices (and batch, when one was sent), as returned by submit');
  }
  return receipt as TuimprentaReceipt;
}
