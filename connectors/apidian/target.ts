/**
 * APIDIAN as a TargetConnector: documents go out in batches (add-to-batch × n, then send-batch),
 * DIAN validates the zip asynchronously, and `status` polls the ZipKey until every document has a
 * verdict. Puente numbers the documents (numbering 'client'), so each CUFE/CUDE is deterministic and
 * `lookup` can find a document after a crash by recomputing it.
 */
import { randomUUID } from 'node:crypto';
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
import { ApidianAlreadySentError, ApidianClient, type ApidianClientOptions, type ApidianLogger } from './client.js';
import { parseApidianTargetConfig, type ApidianTargetConfig, type ApidianTargetConfigInput } from './config.js';
import { computeDocumentKey, cufeInputFromWire } from './cufe.js';
import { type DianStatus, dianVerdict, isAlreadyProcessed, rejectionMessages } from './responses.js';
import { apidianWireSchemas, type ApidianWireDocument } from './wire.js';

export interface ApidianTargetDeps {
  logger?: ApidianLogger;
  fetch?: typeof globalThis.fetch;
  /** Timeouts and blip-retry backoff of the HTTP client. */
  client?: Pick<ApidianClientOptions, 'timeouts' | 'retry'>;
}

/** Links of one document as APIDIAN named them at add-to-batch. */
interface DocumentLinks {
  pdf?: string;
  xml?: string;
  qr?: string;
}

/** The receipt `submit` returns and `status` reads back; plain JSON so the store can keep it. */
export interface ApidianReceipt {
  [key: string]: unknown;
  zipKey: string;
  /** The zip name used at add-to-batch / send-batch. */
  zipName: string;
  /** Every document that went into the zip: its CUFE/CUDE and links. */
  documents: Record<string, { key: string } & DocumentLinks>;
}

export interface ApidianTarget extends TargetConnector {
  readonly name: 'apidian';
  /** How often the pipeline should ask `status` about a receipt (ms). */
  readonly statusPollMs: number;
  /** Consecutive-number ranges Puente allocates from, per kind (the DIAN resolutions). */
  readonly numbering: 'client';
  readonly numberingRanges: Readonly<Partial<Record<DocumentKind, { prefix: string; from: number; to: number }>>>;
  readonly client: ApidianClient;
  /** The CUFE (invoices) or CUDE (notes) of a wire document, as DIAN will compute it. */
  documentKey(kind: DocumentKind, wire: unknown): string;
  close(): Promise<void>;
}

const DEFAULT_STATUS_POLL_MS = 10_000;
/** DIAN's in-process answer to GetStatus; other non-final answers mean "not known". */
const IN_PROCESS_CODES = new Set(['98']);

export function createApidianTarget(
  configInput: ApidianTargetConfigInput | ApidianTargetConfig,
  deps: ApidianTargetDeps = {},
): ApidianTarget {
  const config = parseApidianTargetConfig(configInput);
  const logger = deps.logger;
  const client = new ApidianClient({
    baseUrl: config.baseUrl,
    token: config.token,
    requestsPerMinute: config.requestsPerMinute,
    ...(deps.fetch ? { fetch: deps.fetch } : {}),
    ...(logger ? { logger } : {}),
    ...deps.client,
  });

  const resolutions = config.resolutions;
  const kinds: DocumentKind[] = ['invoice', 'credit_note', 'debit_note'];
  if (resolutions.export_invoice) kinds.push('export_invoice');

  const numberingRanges: Partial<Record<DocumentKind, { prefix: string; from: number; to: number }>> = {};
  for (const kind of kinds) {
    const r = resolutions[kind];
    if (r) numberingRanges[kind] = { prefix: r.prefix, from: r.from, to: r.to };
  }

  function documentKey(kind: DocumentKind, wire: unknown): string {
    const resolution = resolutions[kind];
    if (!resolution) {
      throw new TargetError('auth', `resolutions.${kind} is not configured, so its CUFE cannot be computed`, { field: `resolutions.${kind}` });
    }
    const isInvoice = kind === 'invoice' || kind === 'export_invoice';
    if (!isInvoice && !config.softwarePin) {
      throw new TargetError('auth', `softwarePin is not configured; the CUDE of a ${kind} needs it`, { field: 'softwarePin' });
    }
    try {
      const input = cufeInputFromWire(kind, wire as ApidianWireDocument, {
        nit: config.supplierNit,
        environment: config.environment,
        prefix: resolution.prefix,
        ...('technicalKey' in resolution ? { technicalKey: resolution.technicalKey } : {}),
        ...(config.softwarePin ? { softwarePin: config.softwarePin } : {}),
      });
      return computeDocumentKey(input);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new TargetError('rejected', `cannot compute the ${isInvoice ? 'CUFE' : 'CUDE'}: ${reason}`);
    }
  }

  /** Our own key, or undefined when the wire cannot give one (the add-to-batch key is used then). */
  function ownKey(document: OutgoingDocument): string | undefined {
    try {
      return documentKey(document.kind, document.wire);
    } catch {
      return undefined;
    }
  }

  function fiscalNumberOf(document: OutgoingDocument): string {
    const wire = (document.wire ?? {}) as Record<string, unknown>;
    const prefix = typeof wire.prefix === 'string' && wire.prefix ? wire.prefix : (resolutions[document.kind]?.prefix ?? document.series);
    const number = wire.number !== undefined && wire.number !== null ? String(wire.number) : document.number;
    return `${prefix}${number}`;
  }

  /** A number outside its resolution is a certain rejection; catching it here saves a request. */
  function checkNumbering(document: OutgoingDocument): DocumentOutcome | undefined {
    const resolution = resolutions[document.kind];
    if (!resolution) {
      return {
        documentId: document.documentId,
        outcome: 'rejected',
        reason: `no DIAN resolution is configured for ${document.kind} (resolutions.${document.kind})`,
        field: 'type_document_id',
      };
    }
    const wire = (document.wire ?? {}) as Record<string, unknown>;
    const number = Number(wire.number);
    if (!Number.isInteger(number) || number < resolution.from || number > resolution.to) {
      return {
        documentId: document.documentId,
        outcome: 'rejected',
        reason: `number must be a whole number between ${resolution.from} and ${resolution.to} (resolution ${resolution.prefix})`,
        field: 'number',
      };
    }
    return undefined;
  }

  function issued(document: OutgoingDocument, key: string, links: DocumentLinks, status?: DianStatus): DocumentOutcome {
    const outcome: DocumentOutcome = {
      documentId: document.documentId,
      outcome: 'issued',
      fiscalNumber: fiscalNumberOf(document),
      uuid: key,
    };
    const absolute = absoluteLinks(links);
    if (Object.keys(absolute).length) outcome.links = absolute;
    const notes = status?.errorMessages.filter((m) => m.trim() !== '') ?? [];
    if (notes.length) outcome.messages = notes;
    return outcome;
  }

  function rejectedByDian(document: OutgoingDocument, status: DianStatus): DocumentOutcome {
    const messages = rejectionMessages(status);
    return {
      documentId: document.documentId,
      outcome: 'rejected',
      reason: messages[0] ?? 'DIAN rejected the document',
      messages,
    };
  }

  /** APIDIAN names files relative to its own download routes; the buyer needs absolute URLs. */
  function absoluteLinks(links: DocumentLinks): DocumentLinks {
    const out: DocumentLinks = {};
    if (links.pdf) out.pdf = /^https?:\/\//i.test(links.pdf) ? links.pdf : `${config.baseUrl}/invoice/pdf/${encodeURIComponent(links.pdf)}`;
    if (links.xml) out.xml = /^https?:\/\//i.test(links.xml) ? links.xml : `${config.baseUrl}/invoice/xml/${encodeURIComponent(links.xml)}`;
    if (links.qr) out.qr = links.qr;
    return out;
  }

  /** A whole-batch failure, told to each document it stopped. */
  function failedBy(document: OutgoingDocument, error: TargetError): DocumentOutcome {
    if (error.kind === 'rejected') {
      return {
        documentId: document.documentId,
        outcome: 'rejected',
        reason: error.message,
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

  async function lookup(document: OutgoingDocument): Promise<DocumentOutcome | null> {
    const key = documentKey(document.kind, document.wire);
    const status = await client.statusDocument(key);
    if (!status) return null;
    const verdict = dianVerdict(status);
    if (verdict === 'valid') return issued(document, key, { qr: qrUrl(key, config.environment) }, status);
    if (verdict === 'invalid') {
      // Rule 90 on the document itself means DIAN holds an earlier, accepted copy of this CUFE.
      if (isAlreadyProcessed(status) && status.documentKey && sameKey(status.documentKey, key)) {
        return issued(document, key, { qr: qrUrl(key, config.environment) });
      }
      return rejectedByDian(document, status);
    }
    if (status.statusCode && IN_PROCESS_CODES.has(status.statusCode)) {
      return { documentId: document.documentId, outcome: 'pending', uuid: key };
    }
    return null;
  }

  async function submit(batch: OutgoingBatch): Promise<BatchSubmission> {
    const zipName = zipNameFor(batch.batchId);
    const outcomes = new Map<string, DocumentOutcome>();
    const added: Array<{ document: OutgoingDocument; key: string; links: DocumentLinks }> = [];
    let stoppedBy: TargetError | undefined;
    let stoppedAt: OutgoingDocument | undefined;

    for (const document of batch.documents) {
      const invalid = checkNumbering(document);
      if (invalid) {
        outcomes.set(document.documentId, invalid);
        continue;
      }
      try {
        const result = await client.addToBatch(document.kind, zipName, document.wire);
        const own = ownKey(document);
        if (own && !sameKey(own, result.documentKey)) {
          // Lookups after a crash use our key; a mismatch means technicalKey/softwarePin/environment disagree with APIDIAN.
          logger?.warn({ batchId: batch.batchId, documentId: document.documentId }, 'apidian: computed CUFE/CUDE differs from APIDIAN’s; check technicalKey, softwarePin and environment');
        }
        const links: DocumentLinks = { ...result.urls };
        if (result.qr) links.qr = result.qr;
        added.push({ document, key: result.documentKey, links });
      } catch (error) {
        if (!(error instanceof TargetError)) throw error;
        if (error instanceof ApidianAlreadySentError) {
          outcomes.set(document.documentId, await outcomeOfDuplicate(document, error));
        } else if (error.kind === 'rejected') {
          outcomes.set(document.documentId, failedBy(document, error));
        } else {
          stoppedBy = error;
          stoppedAt = document;
          break;
        }
      }
    }

    if (stoppedBy && stoppedBy.kind !== 'retryable') {
      // Rate limit, credentials: nothing goes to DIAN; every document not already decided is told why.
      logger?.warn({ batchId: batch.batchId, kind: stoppedBy.kind }, 'apidian: batch stopped before send-batch');
      return { results: ordered(batch, outcomes, (d) => failedBy(d, stoppedBy)) };
    }
    if (stoppedBy) {
      // One request failed: the documents after it were never added and are told why, but those
      // already in the zip still go out. Failing them too would make a whole batch pay for one failed
      // request, and under a steady error rate a large batch would almost never get through.
      logger?.warn({ batchId: batch.batchId, kind: stoppedBy.kind, sending: added.length }, 'apidian: add-to-batch failed; sending the documents already added');
      const inZip = new Set(added.map((a) => a.document.documentId));
      for (const document of batch.documents) {
        if (!outcomes.has(document.documentId) && !inZip.has(document.documentId)) outcomes.set(document.documentId, failedBy(document, stoppedBy));
      }
      if (stoppedAt && added.length > 0) {
        // Its add-to-batch may have reached the zip before failing (a dropped answer): the zip now
        // going to DIAN can carry it, so it is looked up before it is ever sent again.
        outcomes.set(stoppedAt.documentId, {
          documentId: stoppedAt.documentId,
          outcome: 'failed',
          kind: 'unknown_outcome',
          reason: `${stoppedBy.message}; the zip it may have reached was sent, so it is looked up before any resend`,
        });
      }
    }
    if (added.length === 0) return { results: ordered(batch, outcomes) };

    let zipKey: string;
    try {
      zipKey = (await client.sendBatch(zipName)).zipKey;
    } catch (error) {
      if (!(error instanceof TargetError)) throw error;
      logger?.warn({ batchId: batch.batchId, kind: error.kind }, 'apidian: send-batch failed');
      for (const { document } of added) outcomes.set(document.documentId, failedBy(document, error));
      return { results: ordered(batch, outcomes) };
    }

    const receipt: ApidianReceipt = { zipKey, zipName, documents: {} };
    for (const { document, key, links } of added) {
      receipt.documents[document.documentId] = { key, ...links };
      outcomes.set(document.documentId, { documentId: document.documentId, outcome: 'pending', uuid: key });
    }
    logger?.debug({ batchId: batch.batchId, zipKey, documents: added.length }, 'apidian: batch sent');
    return { results: ordered(batch, outcomes), receipt };
  }

  /** APIDIAN's duplicate guard fired at add-to-batch: the document may be issued already; ask DIAN. */
  async function outcomeOfDuplicate(document: OutgoingDocument, error: ApidianAlreadySentError): Promise<DocumentOutcome> {
    const found = await lookup(document).catch((lookupError: unknown) => {
      if (lookupError instanceof TargetError) return null;
      throw lookupError;
    });
    return found ?? failedBy(document, error);
  }

  async function status(receiptInput: Record<string, unknown>, batch: OutgoingBatch): Promise<BatchStatus> {
    const receipt = readReceipt(receiptInput);
    const statuses = await client.statusZip(receipt.zipKey);
    const byKey = new Map<string, DianStatus>();
    const keyless: DianStatus[] = [];
    for (const s of statuses) {
      if (s.documentKey) byKey.set(s.documentKey.toLowerCase(), s);
      else keyless.push(s);
    }

    const sent = batch.documents.filter((d) => receipt.documents[d.documentId]);
    const results: DocumentOutcome[] = [];
    for (const document of sent) {
      const entry = receipt.documents[document.documentId]!;
      const own = ownKey(document);
      let answer = byKey.get(entry.key.toLowerCase()) ?? (own ? byKey.get(own.toLowerCase()) : undefined);
      // A one-document zip may be answered without XmlDocumentKey; the answer can only be about it.
      if (!answer && sent.length === 1 && keyless.length === 1) answer = keyless[0];
      results.push(answer ? await outcomeOf(document, entry, answer) : { documentId: document.documentId, outcome: 'pending', uuid: entry.key });
    }
    return { done: results.every((r) => r.outcome !== 'pending'), results };
  }

  async function outcomeOf(document: OutgoingDocument, entry: ApidianReceipt['documents'][string], answer: DianStatus): Promise<DocumentOutcome> {
    const verdict = dianVerdict(answer);
    if (verdict === 'pending') return { documentId: document.documentId, outcome: 'pending', uuid: entry.key };
    if (verdict === 'valid') return issued(document, entry.key, entry, answer);
    if (isAlreadyProcessed(answer)) {
      // Rule 90: this CUFE was processed before — typically our own earlier send whose answer was lost.
      // Only DIAN's record of the CUFE can tell an issued original from a rejected one.
      const original = await client.statusDocument(entry.key);
      if (original && dianVerdict(original) === 'valid') return issued(document, entry.key, entry, original);
    }
    return rejectedByDian(document, answer);
  }

  return {
    name: 'apidian',
    kinds,
    numbering: 'client',
    batchLimits: { maxDocuments: config.batch.maxDocuments, maxBytes: config.batch.maxBytes, lingerMs: config.batch.lingerMs },
    statusPollMs: config.statusPollMs ?? DEFAULT_STATUS_POLL_MS,
    numberingRanges,
    numberingFor(kind) {
      const range = numberingRanges[kind];
      return range ? { series: range.prefix, firstNumber: range.from, lastNumber: range.to } : undefined;
    },
    client,
    wireSchema: (kind) => apidianWireSchemas[kind],
    documentKey,
    submit,
    status,
    lookup,
    close: () => client.close(),
  };
}

/**
 * APIDIAN appends to `{name}.zip` and never empties it, so a name reused by a later attempt would
 * resend documents that are no longer in the batch. Each submit therefore gets a fresh zip name,
 * readable (the batch id) and safe as a file name.
 */
function zipNameFor(batchId: string): string {
  const readable = batchId.replace(/[^A-Za-z0-9_-]+/g, '_').slice(0, 60) || 'batch';
  return `${readable}-${randomUUID().slice(0, 8)}`;
}

function ordered(batch: OutgoingBatch, outcomes: Map<string, DocumentOutcome>, otherwise?: (d: OutgoingDocument) => DocumentOutcome): DocumentOutcome[] {
  return batch.documents.flatMap((d) => {
    const outcome = outcomes.get(d.documentId) ?? otherwise?.(d);
    return outcome ? [outcome] : [];
  });
}

function sameKey(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

function qrUrl(key: string, environment: 1 | 2): string {
  const host = environment === 1 ? 'catalogo-vpfe.dian.gov.co' : 'catalogo-vpfe-hab.dian.gov.co';
  return `https://${host}/document/searchqr?documentkey=${key}`;
}

function readReceipt(receipt: Record<string, unknown>): ApidianReceipt {
  const zipKey = receipt.zipKey;
  const documents = receipt.documents;
  if (typeof zipKey !== 'string' || !zipKey || typeof documents !== 'object' || documents === null) {
    throw new TargetError('rejected', 'not an APIDIAN receipt: it needs zipKey and documents (as returned by submit)');
  }
  return receipt as ApidianReceipt;
}
