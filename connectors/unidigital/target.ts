/**
 * Unidigital as a TargetConnector (reference §2). Puente numbers the documents (`Number`, per series
 * and document type, continuing from `GET /series/counters`); the imprenta assigns the control number
 * a minute or so after a batch is approved, and only then is a document fiscal. So:
 *   submit  = batch/open → documents/create (chunks) → batch/close → batch/approve; documents `pending`
 *   status  = GET /batch/{id}/documents until every document has its control number → `issued`
 *   lookup  = documents/searchbysystemreference with Puente's idempotency key in `SystemReference`
 */
import Bottleneck from 'bottleneck';
import type { BatchStatus, BatchSubmission, DocumentOutcome, OutgoingBatch, OutgoingDocument, TargetConnector } from '../../src/connector.js';
import type { DocumentKind } from '../../src/domain/fiscal-document.js';
import { TargetError } from '../../src/errors.js';
import {
  UnidigitalBatchExistsError,
  UnidigitalClient,
  UnidigitalDocumentsRejectedError,
  sha512Hex,
  type UnidigitalClientOptions,
  type UnidigitalLogger,
} from './client.js';
import { parseUnidigitalTargetConfig, type UnidigitalTargetConfig, type UnidigitalTargetConfigInput } from './config.js';
import { BATCH_STATUS, hasControlNumber, type DocumentFailure, type DocumentInfo } from './responses.js';
import { systemReferenceFor, isPuenteReference } from './reference.js';
import { DOCUMENT_TYPE, UNIDIGITAL_KINDS, isUnidigitalKind, unidigitalWireSchema, type UnidigitalKind } from './wire.js';
import { z } from 'zod';

export interface UnidigitalTargetDeps {
  logger?: UnidigitalLogger;
  fetch?: typeof globalThis.fetch;
  client?: Pick<UnidigitalClientOptions, 'timeouts' | 'retry' | 'busy' | 'tokenRenewAfterMs' | 'now'>;
  /**
   * Read `GET /series/counters` right away so `numberingFor` continues from the imprenta's counters
   * (default false; the server's composition root turns it on). Failures are logged, not thrown.
   */
  readCountersOnCreate?: boolean;
}

/** Receipt of a submit: which Unidigital batch holds each document. Plain JSON. */
export interface UnidigitalReceipt {
  [key: string]: unknown;
  serieStrongId: string;
  documentType: string;
  documents: Record<string, { systemReference: string; number: number; batchId?: string }>;
}

export interface UnidigitalTarget extends TargetConnector {
  readonly name: 'unidigital';
  readonly numbering: 'client';
  readonly statusPollMs: number;
  readonly client: UnidigitalClient;
  /**
   * Series `${seriesName}-${FA|NC|ND}` (Unidigital counts Numbers per series and document type) and
   * the first number: the larger of numbering.<kind>.firstNumber (default 1) and the imprenta's
   * counter + 1, as last read by readCounters (at start, and before every submit).
   */
  numberingFor(kind: DocumentKind): { series: string; firstNumber: number } | undefined;
  /** Reads `GET /series/counters` and remembers the last Number per series and type. */
  readCounters(): Promise<Partial<Record<UnidigitalKind, number>>>;
  /** The SystemReference a document is sent (and looked up) under. */
  systemReferenceFor(idempotencyKey: string): string;
  /**
   * Annuls an issued document by its control number (`documents/anulled {Control}`), given as the
   * integer or as the formatted "00-00000002" Puente stores in the outcome's `uuid`.
   */
  annul(controlNumber: number | string): Promise<void>;
  close(): Promise<void>;
}

/** How many times one submit asks again after a 5xx: batch/open, and documents/create for what the batch does not hold. */
const RESENDS_IN_BATCH = 3;

interface Candidate {
  document: OutgoingDocument;
  number: number;
  body: Record<string, unknown>;
}

interface SeriesOf {
  strongId: string;
  name: string;
}

export function createUnidigitalTarget(configInput: UnidigitalTargetConfigInput | UnidigitalTargetConfig, deps: UnidigitalTargetDeps = {}): UnidigitalTarget {
  const config = parseUnidigitalTargetConfig(configInput);
  const logger = deps.logger;
  const client = new UnidigitalClient({
    baseUrl: config.baseUrl,
    userName: config.userName,
    passwordDigest: config.passwordSha512 ?? sha512Hex(config.password!),
    ...(deps.fetch ? { fetch: deps.fetch } : {}),
    ...(logger ? { logger } : {}),
    ...deps.client,
  });
  /** Submits and lookups that touch batches of one series run one at a time (one open batch per series). */
  const seriesQueues = new Bottleneck.Group({ maxConcurrent: 1 });
  const counters = new Map<string, number>();

  function seriesFor(kind: UnidigitalKind): SeriesOf {
    const chosen = config.seriesByKind[kind] ?? config.series;
    return { strongId: chosen.strongId, name: chosen.name ?? chosen.strongId };
  }
  const counterKey = (serie: string, type: string) => `${serie.toLowerCase()}|${type}`;

  async function readCounters(): Promise<Partial<Record<UnidigitalKind, number>>> {
    const list = await client.counters();
    for (const entry of list) {
      const serie = entry.serieStrongId ?? UNIDIGITAL_KINDS.map(seriesFor).find((s) => s.name === entry.serieName)?.strongId;
      if (serie) counters.set(counterKey(serie, entry.documentType), entry.counter);
    }
    const out: Partial<Record<UnidigitalKind, number>> = {};
    for (const kind of UNIDIGITAL_KINDS) {
      const value = counters.get(counterKey(seriesFor(kind).strongId, DOCUMENT_TYPE[kind]));
      out[kind] = value ?? 0;
      if (value === undefined) counters.set(counterKey(seriesFor(kind).strongId, DOCUMENT_TYPE[kind]), 0);
    }
    return out;
  }

  if (deps.readCountersOnCreate) {
    readCounters().catch((error: unknown) =>
      logger?.warn({ reason: error instanceof Error ? error.message : String(error) }, 'unidigital: could not read series counters at start; numbering starts from numbering.<kind>.firstNumber'),
    );
  }

  function wireSchema(kind: DocumentKind) {
    if (!isUnidigitalKind(kind)) {
      return z.never({ error: `Unidigital has no ${kind} document type (FA, NC and ND only; a foreign-currency sale is an FA with Currency and ExchangeRate)` });
    }
    const serie = seriesFor(kind);
    // The series and branch belong to the account, not to the mapping: filled in from this config.
    return z
      .unknown()
      .transform((value) => {
        if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
        const doc = { ...(value as Record<string, unknown>) };
        doc.SerieStrongId ??= serie.strongId;
        if (config.sucursalStrongId) doc.SucursalStrongId ??= config.sucursalStrongId;
        return doc;
      })
      .pipe(unidigitalWireSchema(kind))
      .superRefine((doc, ctx) => {
        if (doc.SerieStrongId?.toLowerCase() !== serie.strongId.toLowerCase()) {
          ctx.addIssue({ code: 'custom', path: ['SerieStrongId'], message: `SerieStrongId must be the series configured for ${kind} (${serie.name}); leave it out of the mapping` });
        }
      });
  }

  function fiscalNumber(type: string, number: number | undefined, fallback: string): string {
    return `${type}-${number ?? fallback}`;
  }

  /** What Unidigital's record of a document means for Puente. null: not issued, safe to send. */
  function outcomeOfRecord(document: OutgoingDocument, record: DocumentInfo): DocumentOutcome | null {
    const type = DOCUMENT_TYPE[document.kind as UnidigitalKind];
    if (hasControlNumber(record)) {
      const outcome: DocumentOutcome = {
        documentId: document.documentId,
        outcome: 'issued',
        fiscalNumber: fiscalNumber(type, record.number, document.number),
        uuid: record.controlNumberFormatted && record.controlNumberFormatted !== '-1' ? record.controlNumberFormatted : String(record.controlNumber),
      };
      if (record.annulled) outcome.messages = ['annulled at Unidigital (documents/anulled)'];
      return outcome;
    }
    if (/cancel/i.test(record.status ?? '')) return null;
    return { documentId: document.documentId, outcome: 'pending' };
  }

  /** `notSent`: this submit never sent the document (it waited for a number before it, or for the series). */
  function failed(
    document: OutgoingDocument,
    error: TargetError | { kind: 'retryable' | 'rate_limited' | 'auth' | 'unknown_outcome'; message: string; retryAfterMs?: number | undefined },
    notSent = false,
  ): DocumentOutcome {
    return {
      documentId: document.documentId,
      outcome: 'failed',
      kind: error.kind === 'rejected' ? 'retryable' : error.kind,
      reason: error.message,
      ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}),
      ...(notSent ? { notSent } : {}),
    };
  }

  function rejected(document: OutgoingDocument, reason: string, messages: string[] = [], field?: string): DocumentOutcome {
    return { documentId: document.documentId, outcome: 'rejected', reason, ...(field ? { field } : {}), ...(messages.length ? { messages } : {}) };
  }

  function wireOf(document: OutgoingDocument): Record<string, unknown> {
    return { ...((document.wire ?? {}) as Record<string, unknown>), SystemReference: systemReferenceFor(document.idempotencyKey) };
  }

  async function submit(batch: OutgoingBatch): Promise<BatchSubmission> {
    if (!isUnidigitalKind(batch.kind)) {
      return { results: batch.documents.map((d) => rejected(d, `Unidigital has no ${batch.kind} document type`)) };
    }
    const serie = seriesFor(batch.kind);
    return seriesQueues.key(serie.strongId).schedule(() => submitInSeries(batch, batch.kind as UnidigitalKind, serie, true));
  }

  async function submitInSeries(batch: OutgoingBatch, kind: UnidigitalKind, serie: SeriesOf, mayAdopt: boolean): Promise<BatchSubmission> {
    const type = DOCUMENT_TYPE[kind];
    const outcomes = new Map<string, DocumentOutcome>();
    const receipt: UnidigitalReceipt = { serieStrongId: serie.strongId, documentType: type, documents: {} };
    const finish = (): BatchSubmission => {
      const results = batch.documents.map((d) => outcomes.get(d.documentId) ?? failed(d, { kind: 'retryable', message: 'not sent' }, true));
      return Object.keys(receipt.documents).length ? { results, receipt } : { results };
    };
    const remember = (document: OutgoingDocument, number: number, batchId?: string) => {
      receipt.documents[document.documentId] = { systemReference: systemReferenceFor(document.idempotencyKey), number, ...(batchId ? { batchId } : {}) };
    };

    // Documents whose wire cannot be ours are refused without a request.
    const candidates: Candidate[] = [];
    for (const document of batch.documents) {
      const body = wireOf(document);
      const number = body.Number;
      if (typeof number !== 'number' || !Number.isSafeInteger(number) || number < 1) {
        outcomes.set(document.documentId, rejected(document, 'Number must be the whole number Puente allocated', [], 'Number'));
      } else if (body.DocumentType !== type || String(body.SerieStrongId).toLowerCase() !== serie.strongId.toLowerCase()) {
        outcomes.set(document.documentId, rejected(document, `the wire document is not a ${type} of series ${serie.name}; it was not built by this target's wireSchema`, [], 'DocumentType'));
      } else {
        candidates.push({ document, number, body });
      }
    }
    candidates.sort((a, b) => a.number - b.number);

    let counter: number;
    try {
      await readCounters();
      counter = counters.get(counterKey(serie.strongId, type)) ?? 0;
    } catch (error) {
      if (!(error instanceof TargetError)) throw error;
      for (const c of candidates) outcomes.set(c.document.documentId, failed(c.document, error, true));
      return finish();
    }

    // A number at or below the counter is taken: by this very document (an earlier send whose answer
    // was lost) or by another one. Only Unidigital's record under our SystemReference can tell.
    const toSend: Candidate[] = [];
    for (const candidate of candidates) {
      if (candidate.number > counter) {
        toSend.push(candidate);
        continue;
      }
      const { document } = candidate;
      try {
        const record = await client.searchBySystemReference(systemReferenceFor(document.idempotencyKey));
        const outcome = record ? await settleRecord(document, record) : null;
        if (outcome) {
          outcomes.set(document.documentId, outcome);
          if (outcome.outcome === 'pending') remember(document, candidate.number, record?.batchStrongId);
        } else {
          outcomes.set(
            document.documentId,
            rejected(
              document,
              `Number ${candidate.number} of series ${serie.name} (${type}) is already used at Unidigital by another document (its counter is ${counter}); ` +
                `raise numbering.${kind}.firstNumber above ${counter} and renumber, or check whether another system issues in this series`,
              [],
              'Number',
            ),
          );
        }
      } catch (error) {
        if (!(error instanceof TargetError)) throw error;
        outcomes.set(document.documentId, failed(document, error));
      }
    }

    // Numbers must continue from the counter without a gap (§2.5): a document waits for the number before it.
    let expected = counter + 1;
    const contiguous: Candidate[] = [];
    for (const candidate of toSend) {
      if (candidate.number === expected) {
        contiguous.push(candidate);
        expected += 1;
      } else {
        outcomes.set(
          candidate.document.documentId,
          failed(candidate.document, {
            kind: 'retryable',
            message: `waiting for ${type} Number ${expected} of series ${serie.name} to be issued first: Unidigital numbers continue from its counter (${counter}) without gaps`,
          }, true),
        );
      }
    }
    if (contiguous.length === 0) return finish();

    let batchId: string;
    try {
      batchId = await openBatch(serie.strongId);
    } catch (error) {
      if (!(error instanceof TargetError)) throw error;
      if (error instanceof UnidigitalBatchExistsError && mayAdopt && error.existingBatchId) {
        const adopted = await finishStaleBatch(error.existingBatchId, serie).catch((e: unknown) => (e instanceof TargetError ? e : Promise.reject(e)));
        if (adopted === true) return submitInSeries(batch, kind, serie, false);
        const reason = adopted instanceof TargetError ? adopted : new TargetError('retryable', `series ${serie.name} has an open batch${error.openedAt ? ` since ${error.openedAt}` : ''} that holds documents Puente did not send; Puente waits until it is closed`);
        for (const c of contiguous) outcomes.set(c.document.documentId, failed(c.document, reason, true));
        return finish();
      }
      for (const c of contiguous) outcomes.set(c.document.documentId, failed(c.document, error, true));
      return finish();
    }
    logger?.debug({ batchId: batch.batchId, unidigitalBatch: batchId, documents: contiguous.length }, 'unidigital: batch opened');

    const created = await createInOrder(batchId, serie, contiguous, config.batch.chunkSize, outcomes);
    for (const c of created) {
      remember(c.document, c.number, batchId);
      outcomes.set(c.document.documentId, { documentId: c.document.documentId, outcome: 'pending' });
    }

    try {
      await client.closeBatch(batchId, serie.strongId);
      if (created.length) await client.approveBatch(batchId, serie.strongId);
      else await client.cancelBatch(batchId, serie.strongId); // an empty batch is closed, then cancelled (§2.7)
    } catch (error) {
      if (!(error instanceof TargetError)) throw error;
      // Created documents stay `pending` with the receipt: status (and lookup) finish the batch.
      logger?.warn({ batchId: batch.batchId, unidigitalBatch: batchId, kind: error.kind }, 'unidigital: closing or approving the batch failed; status will finish it');
    }
    return finish();
  }

  /**
   * batch/open, asked again after a 5xx answer: the imprenta is done with that request, and should it
   * have opened the batch anyway, the next open says BATCH_EXISTS and the caller adopts it.
   */
  async function openBatch(serieStrongId: string): Promise<string> {
    for (let tries = 1; ; tries++) {
      try {
        return await client.openBatch(serieStrongId);
      } catch (error) {
        const answered5xx = error instanceof TargetError && error.status !== undefined && error.status >= 500;
        if (!answered5xx || tries > RESENDS_IN_BATCH) throw error;
      }
    }
  }

  /**
   * documents/create in chunks, in Number order. A rejected document stops the ones after it (their
   * numbers would leave a gap): they are reported as waiting, the rejected ones as rejected.
   * Returns the documents that are in the batch.
   */
  async function createInOrder(
    batchId: string,
    serie: SeriesOf,
    queue: Candidate[],
    chunkSize: number,
    outcomes: Map<string, DocumentOutcome>,
  ): Promise<Candidate[]> {
    const created: Candidate[] = [];
    let index = 0;
    let size = chunkSize;
    let resendsLeft = RESENDS_IN_BATCH;
    while (index < queue.length) {
      const chunk = queue.slice(index, index + size);
      try {
        const result = await client.createDocuments(batchId, chunk.map((c) => c.body), serie.strongId);
        if (result.failures.length === 0) {
          created.push(...chunk);
          index += chunk.length;
          continue;
        }
        // Per-document errors inside a successful answer: the others were created.
        const failedAt = failuresByDocument(chunk, result.failures);
        const present = await presentIn(batchId, chunk, serie);
        created.push(...chunk.filter((c) => present.has(c.document.documentId)));
        return stopAtFailures(queue, index, failedAt, present, outcomes, created);
      } catch (error) {
        if (!(error instanceof TargetError)) throw error;
        if (error instanceof UnidigitalDocumentsRejectedError) {
          const failedAt = failuresByDocument(chunk, error.failures);
          if (failedAt.size === 0) {
            if (chunk.length === 1) {
              const only = chunk[0]!;
              outcomes.set(only.document.documentId, rejected(only.document, error.message, error.messages, error.field));
              markWaiting(queue.slice(index + 1), only.number, outcomes);
              return created;
            }
            size = 1; // no per-document detail: one at a time finds the culprit
            continue;
          }
          const present = await presentIn(batchId, chunk, serie).catch(() => new Set<string>());
          created.push(...chunk.filter((c) => present.has(c.document.documentId)));
          const firstFailed = chunk.findIndex((c) => failedAt.has(c.document.documentId));
          const before = chunk.slice(0, firstFailed).filter((c) => !present.has(c.document.documentId));
          if (before.length && present.size === 0) {
            // An all-or-nothing refusal: resend the valid documents before the first rejected one.
            try {
              await client.createDocuments(batchId, before.map((c) => c.body), serie.strongId);
              created.push(...before);
              before.forEach((c) => present.add(c.document.documentId));
            } catch (retryError) {
              if (!(retryError instanceof TargetError)) throw retryError;
              for (const c of before) outcomes.set(c.document.documentId, failed(c.document, retryError));
            }
          }
          return stopAtFailures(queue, index, failedAt, present, outcomes, created);
        }
        // Anything else: the chunk may or may not be in the batch. Ask the batch (a read).
        const present = await presentIn(batchId, chunk, serie).catch(() => undefined);
        // The imprenta answered (a 5xx): it is done with that request, so the batch as read now is what
        // it did, and what it did not create can go again inside this batch — instead of the whole
        // series backing off behind it. Not after a timeout or a dropped connection: the request may
        // still be under way there, and only a later lookup can tell.
        const createdPrefix = present ? chunk.findIndex((c) => !present.has(c.document.documentId)) : -1;
        if (present && error.status !== undefined && error.kind !== 'rate_limited' && resendsLeft > 0 && createdPrefix >= 0 && chunk.slice(createdPrefix).every((c) => !present.has(c.document.documentId))) {
          resendsLeft--;
          created.push(...chunk.slice(0, createdPrefix));
          index += createdPrefix;
          logger?.debug({ unidigitalBatch: batchId, created: createdPrefix, resending: chunk.length - createdPrefix, status: error.status }, 'unidigital: documents/create failed; resending what the batch does not hold');
          continue;
        }
        if (present) created.push(...chunk.filter((c) => present.has(c.document.documentId)));
        for (const c of queue.slice(index)) {
          if (present?.has(c.document.documentId)) continue;
          const inChunk = chunk.includes(c);
          outcomes.set(c.document.documentId, failed(c.document, inChunk && !present ? { kind: 'unknown_outcome', message: error.message } : error, !inChunk));
        }
        return created;
      }
    }
    return created;
  }

  function failuresByDocument(chunk: Candidate[], failures: DocumentFailure[]): Map<string, DocumentFailure> {
    const byDocument = new Map<string, DocumentFailure>();
    for (const failure of failures) {
      const match = (failure.position !== undefined ? chunk[failure.position] : undefined) ?? chunk.find((c) => c.number === failure.number);
      if (match) byDocument.set(match.document.documentId, failure);
    }
    return byDocument;
  }

  async function presentIn(batchId: string, chunk: Candidate[], serie: SeriesOf): Promise<Set<string>> {
    const documents = await client.batchDocuments(batchId, { serieStrongId: serie.strongId });
    const references = new Set(documents.map((d) => d.systemReference).filter(Boolean));
    return new Set(chunk.filter((c) => references.has(systemReferenceFor(c.document.idempotencyKey))).map((c) => c.document.documentId));
  }

  function stopAtFailures(
    queue: Candidate[],
    from: number,
    failedAt: Map<string, DocumentFailure>,
    present: Set<string>,
    outcomes: Map<string, DocumentOutcome>,
    created: Candidate[],
  ): Candidate[] {
    let firstGap: number | undefined;
    for (const c of queue.slice(from)) {
      if (present.has(c.document.documentId)) continue;
      const failure = failedAt.get(c.document.documentId);
      // After an earlier rejection a later document may fail only because its Number no longer follows.
      const onlyItsNumber = firstGap !== undefined && failure !== undefined && failure.messages.every((m) => /^Number\b/.test(m));
      if (failure && !onlyItsNumber) {
        const messages = failure.messages.length ? failure.messages : [failure.code ?? 'rejected'];
        outcomes.set(c.document.documentId, rejected(c.document, `Unidigital rejected ${c.document.kind} ${c.number}: ${messages[0]}`, messages));
      } else if (!outcomes.has(c.document.documentId)) {
        outcomes.set(c.document.documentId, failed(c.document, { kind: 'retryable', message: 'not sent' }, true));
      }
      firstGap ??= c.number;
    }
    if (firstGap !== undefined) {
      markWaiting(queue.slice(from).filter((c) => !present.has(c.document.documentId) && !failedAt.has(c.document.documentId) && c.number > firstGap!), firstGap, outcomes);
    }
    return created;
  }

  function markWaiting(rest: Candidate[], blocking: number, outcomes: Map<string, DocumentOutcome>) {
    for (const c of rest) {
      outcomes.set(
        c.document.documentId,
        failed(c.document, { kind: 'retryable', message: `waiting for Number ${blocking} (rejected or not sent) to be issued first: Unidigital numbers continue without gaps` }, true),
      );
    }
  }

  /**
   * An open batch blocks the series (one open batch per series). If every document in it is Puente's
   * (a batch a crash left open), finish it — approve what it holds, or cancel it when empty — and
   * return true. Otherwise it belongs to another system and is left alone.
   */
  async function finishStaleBatch(batchId: string, serie: SeriesOf): Promise<boolean> {
    const documents = await client.batchDocuments(batchId, { serieStrongId: serie.strongId });
    if (documents.some((d) => !d.systemReference || !isPuenteReference(d.systemReference))) return false;
    logger?.warn({ unidigitalBatch: batchId, documents: documents.length }, 'unidigital: finishing a batch an earlier run left open');
    await finishBatch(batchId, serie.strongId, documents.length > 0);
    return true;
  }

  /** Brings a batch of ours to approved (or cancelled when empty), whatever step it stopped at. */
  async function finishBatch(batchId: string, serie: string, hasDocuments: boolean): Promise<void> {
    const info = await client.batch(batchId, serie);
    if (!info) return;
    if (info.currentStatus === BATCH_STATUS.open) await client.closeBatch(batchId, serie);
    if (info.currentStatus === BATCH_STATUS.open || info.currentStatus === BATCH_STATUS.closed) {
      if (hasDocuments) await client.approveBatch(batchId, serie);
      else await client.cancelBatch(batchId, serie);
    }
  }

  /** A record found under our SystemReference; a batch left unapproved is finished first. */
  async function settleRecord(document: OutgoingDocument, record: DocumentInfo): Promise<DocumentOutcome | null> {
    const outcome = outcomeOfRecord(document, record);
    if (outcome?.outcome === 'pending' && record.status !== 'Approved' && record.batchStrongId) {
      const serie = seriesFor(document.kind as UnidigitalKind).strongId;
      await finishBatch(record.batchStrongId, serie, true);
    }
    return outcome;
  }

  async function status(receiptInput: Record<string, unknown>, batch: OutgoingBatch): Promise<BatchStatus> {
    const receipt = readReceipt(receiptInput);
    const byBatch = new Map<string, DocumentInfo[]>();
    const results: DocumentOutcome[] = [];
    for (const document of batch.documents) {
      const entry = receipt.documents[document.documentId];
      if (!entry) continue;
      let record: DocumentInfo | null | undefined;
      try {
        if (entry.batchId) {
          if (!byBatch.has(entry.batchId)) byBatch.set(entry.batchId, await client.batchDocuments(entry.batchId, { serieStrongId: receipt.serieStrongId }));
          record = byBatch.get(entry.batchId)!.find((d) => d.systemReference === entry.systemReference || (d.number === entry.number && (!d.documentType || d.documentType === receipt.documentType)));
        }
        record ??= await client.searchBySystemReference(entry.systemReference);
      } catch (error) {
        if (!(error instanceof TargetError)) throw error;
        // The question failed, not the document: ask again at the next poll.
        results.push({ documentId: document.documentId, outcome: 'pending' });
        continue;
      }
      if (!record) {
        results.push(failed(document, { kind: 'unknown_outcome', message: 'Unidigital has no document under its SystemReference any more; look it up before resending' }));
        continue;
      }
      const outcome = await settleRecord(document, record).catch((error: unknown) => {
        if (error instanceof TargetError) return { documentId: document.documentId, outcome: 'pending' } as DocumentOutcome;
        throw error;
      });
      results.push(outcome ?? failed(document, { kind: 'retryable', message: 'its Unidigital batch was cancelled; it can be sent again' }));
    }
    return { done: results.every((r) => r.outcome !== 'pending'), results };
  }

  async function lookup(document: OutgoingDocument): Promise<DocumentOutcome | null> {
    if (!isUnidigitalKind(document.kind)) return null;
    const serie = seriesFor(document.kind);
    return seriesQueues.key(serie.strongId).schedule(async () => {
      const record = await client.searchBySystemReference(systemReferenceFor(document.idempotencyKey));
      return record ? settleRecord(document, record) : null;
    });
  }

  function numberingFor(kind: DocumentKind) {
    if (!isUnidigitalKind(kind)) return undefined;
    const serie = seriesFor(kind);
    const type = DOCUMENT_TYPE[kind];
    const fromCounter = (counters.get(counterKey(serie.strongId, type)) ?? 0) + 1;
    const configured = config.numbering[kind]?.firstNumber ?? 1;
    return { series: `${serie.name}-${type}`, firstNumber: Math.max(configured, fromCounter) };
  }

  return {
    name: 'unidigital',
    kinds: UNIDIGITAL_KINDS,
    numbering: 'client',
    sendsInNumberOrder: true,
    batchLimits: { maxDocuments: config.batch.maxDocuments, maxBytes: config.batch.maxBytes, lingerMs: config.batch.lingerMs },
    statusPollMs: config.statusPollMs,
    client,
    numberingFor,
    wireSchema,
    submit,
    status,
    lookup,
    readCounters,
    systemReferenceFor,
    annul: (controlNumber) => client.annul(controlNumberOf(controlNumber)),
    close: async () => {
      await Promise.all(seriesQueues.limiters().map(({ limiter }) => limiter.stop({ dropWaitingJobs: true })));
      await client.close();
    },
  };
}

/** "00-00000002" → 2 (the integer `documents/anulled` takes); a number passes through. [NF] format. */
export function controlNumberOf(value: number | string): number {
  if (typeof value === 'number') return value;
  const digits = /^(?:\d+-)?(\d+)$/.exec(value.trim())?.[1];
  const number = digits ? Number(digits) : NaN;
  if (!Number.isSafeInteger(number) || number <= 0) throw new RangeError(`"${value}" is not a control number such as 00-00000002`);
  return number;
}

function readReceipt(receipt: Record<string, unknown>): UnidigitalReceipt {
  const documents = receipt.documents;
  if (typeof receipt.serieStrongId !== 'string' || typeof documents !== 'object' || documents === null) {
    throw new TargetError('rejected', 'not a Unidigital receipt: it needs serieStrongId and documents (as returned by submit)');
  }
  return receipt as UnidigitalReceipt;
}
