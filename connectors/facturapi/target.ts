/**
 * The FacturApi target connector (Paraguay, SIFEN): Puente numbers documents per establecimiento and
 * punto, computes each CDC itself, sends lotes of up to 50 documents of one tipoDocumento, asks for
 * SIFEN's verdict by lote (by CDC once the lote is older than 48 h), and looks documents up by CDC
 * after a crash. It also offers SIFEN's events (cancelación, inutilización) and the RUC lookup
 * (README "Events"); the pipeline closes a voided document's number through inutilización
 * (`closeNumbers`, src/pipeline/number-closures.ts).
 */
import type { ZodType } from 'zod';
import type {
  BatchStatus,
  BatchSubmission,
  DocumentOutcome,
  NumberClosureRequest,
  OutgoingBatch,
  OutgoingDocument,
  TargetConnector,
} from '../../src/connector.js';
import type { DocumentKind } from '../../src/domain/fiscal-document.js';
import { TargetError } from '../../src/errors.js';
import { fiscalNumberOf, securityCodeFor } from './cdc.js';
import { LOTE_QUERY_WINDOW_MS, SIFEN, isApproved } from './codes.js';
import { FacturapiClient, FacturapiLoteRefusedError, fieldOf, type FacturapiClientOptions, type FacturapiLogger, type RucInfo } from './client.js';
import {
  issuerOf,
  numberingSeries,
  parseFacturapiTargetConfig,
  type FacturapiTargetConfig,
  type FacturapiTargetConfigInput,
  type NumberingSeries,
} from './config.js';
import { DE_ESTADOS, type DeEstado, type EventoResult, type LoteDocumentResult } from './routes.js';
import {
  TIPO_DOCUMENTO,
  cdcOfWire,
  facturapiWireSchema,
  isFacturapiKind,
  localFecha,
  type FacturapiDe,
  type FacturapiDocumentKind,
  type WireIssue,
} from './wire.js';

export interface FacturapiTargetDeps {
  fetch?: typeof globalThis.fetch;
  logger?: FacturapiLogger;
  /** Client overrides (timeouts, retry) for tests. */
  client?: Partial<Pick<FacturapiClientOptions, 'timeouts' | 'retry'>>;
  /** Clock, for the 48-hour lote window. */
  now?: () => Date;
}

/** What `submit` hands back to be stored and given to `status`: plain JSON. */
export interface FacturapiReceipt {
  /** SIFEN's dProtConsLote. */
  loteId: string;
  /** ISO instant the lote was accepted; past 48 h the lote can only be asked about by CDC. */
  sentAt: string;
  tipoDocumento: number;
  documents: Record<string, { cdc: string }>;
}

export interface CancelRequest {
  /** The document to cancel: its CDC, or the document as Puente sent it (the CDC is recomputed). */
  cdc?: string;
  document?: OutgoingDocument;
  /** Why, 5–500 characters (it is part of the SIFEN event). */
  motivo: string;
}

export interface VoidNumbersRequest {
  kind: FacturapiDocumentKind;
  /** `${establecimiento}-${punto}`; defaults to the series this kind is numbered in. */
  series?: string;
  desde: number;
  hasta: number;
  motivo: string;
}

export interface FacturapiTarget extends TargetConnector {
  readonly name: 'facturapi';
  readonly numbering: 'client';
  readonly client: FacturapiClient;
  readonly config: FacturapiTargetConfig;
  /** The CDC a document has (or will have) at SIFEN. */
  cdcOf(document: OutgoingDocument): string;
  /** The document exactly as it is sent: wire + security code, fecha in local time. */
  wireToSend(document: OutgoingDocument): FacturapiDe;
  /** Cancelación event (within 48 h of approval). */
  cancel(request: CancelRequest): Promise<EventoResult>;
  /** Inutilización event: closes numbers that will never be used (a gap left by a rejected number). */
  voidNumbers(request: VoidNumbersRequest): Promise<EventoResult>;
  /** SIFEN's RUC lookup, check digit verified first. */
  lookupRuc(ruc: string, dv?: string): Promise<RucInfo | null>;
  close(): Promise<void>;
}

const KINDS: readonly FacturapiDocumentKind[] = ['invoice', 'credit_note', 'debit_note'];
const MOTIVO = /^[\s\S]{5,500}$/;

export function createFacturapiTarget(configInput: FacturapiTargetConfigInput | FacturapiTargetConfig, deps: FacturapiTargetDeps = {}): FacturapiTarget {
  const config = parseFacturapiTargetConfig(configInput);
  const logger = deps.logger;
  const now = deps.now ?? (() => new Date());
  const issuer = issuerOf(config);
  const secret = config.securityCodeSecret ?? config.apiKey;
  const client = new FacturapiClient({
    baseUrl: config.baseUrl,
    tenantId: config.tenantId,
    apiKey: config.apiKey,
    requestsPerMinute: config.requestsPerMinute,
    ...(deps.fetch ? { fetch: deps.fetch } : {}),
    ...(logger ? { logger } : {}),
    ...deps.client,
  });

  const series = Object.fromEntries(KINDS.map((kind) => [kind, numberingSeries(config, kind)])) as Record<FacturapiDocumentKind, NumberingSeries>;

  /** What the account allows: the wire's establecimiento, punto and number must be this kind's series. */
  function accountIssues(kind: FacturapiDocumentKind, wire: FacturapiDe): WireIssue[] {
    const numbering = series[kind];
    const issues: WireIssue[] = [];
    const pad = (value: unknown, width: number) => String(value).padStart(width, '0');
    if (pad(wire.establecimiento, 3) !== numbering.establecimiento || pad(wire.punto, 3) !== numbering.punto) {
      issues.push({
        path: ['establecimiento'],
        message: `establecimiento-punto ${pad(wire.establecimiento, 3)}-${pad(wire.punto, 3)} is not where this account numbers ${kind}s (${numbering.series}): set targetSettings.establecimiento / punto to match the target's numbering`,
      });
    }
    const numero = Number(wire.numero);
    if (!(numero >= numbering.firstNumber && numero <= numbering.lastNumber)) {
      issues.push({ path: ['numero'], message: `numero ${numero} is outside the range ${numbering.firstNumber}–${numbering.lastNumber} configured for ${kind}s` });
    }
    return issues;
  }

  const schemas = Object.fromEntries(
    KINDS.map((kind) => [kind, facturapiWireSchema(kind, { account: (wire) => accountIssues(kind, wire), redondeoSedeco: config.redondeoSedeco })]),
  ) as unknown as Record<FacturapiDocumentKind, ZodType>;

  function wireOf(document: OutgoingDocument): FacturapiDe {
    const wire = document.wire as FacturapiDe | null;
    if (!wire || typeof wire !== 'object') throw new TargetError('rejected', `document ${document.documentId} has no wire document`);
    return wire;
  }

  function wireToSend(document: OutgoingDocument): FacturapiDe {
    const wire = wireOf(document);
    const out: FacturapiDe = { ...wire, fecha: localFecha(String(wire.fecha)) };
    // A CDC or code already in the wire wins: a mapping (or an earlier system) decided it.
    if (out.cdc === undefined && out.codigoSeguridadAleatorio === undefined) out.codigoSeguridadAleatorio = securityCodeFor(secret, document.idempotencyKey);
    return out;
  }

  function cdcOf(document: OutgoingDocument): string {
    const wire = wireToSend(document);
    if (typeof wire.cdc === 'string') return wire.cdc;
    try {
      return cdcOfWire(wire, issuer, String(wire.codigoSeguridadAleatorio));
    } catch (error) {
      throw new TargetError('rejected', `cannot compute the CDC of document ${document.documentId}: ${(error as Error).message}`);
    }
  }

  function fiscalNumber(document: OutgoingDocument): string {
    const wire = wireOf(document);
    return fiscalNumberOf(wire.establecimiento, wire.punto, wire.numero);
  }

  function issued(document: OutgoingDocument, cdc: string, reasons: { dCodRes: string; dMsgRes: string }[] = [], extra: string[] = []): DocumentOutcome {
    const messages = [...reasons.filter((r) => r.dCodRes !== SIFEN.DE_APROBADO.code).map((r) => `${r.dCodRes}: ${r.dMsgRes}`), ...extra];
    return { documentId: document.documentId, outcome: 'issued', fiscalNumber: fiscalNumber(document), uuid: cdc, ...(messages.length ? { messages } : {}) };
  }

  function rejected(document: OutgoingDocument, reasons: { dCodRes: string; dMsgRes: string }[]): DocumentOutcome {
    const messages = reasons.map((r) => `${r.dCodRes}: ${r.dMsgRes}`);
    const field = fieldOf(reasons[0]?.dMsgRes ?? '');
    return { documentId: document.documentId, outcome: 'rejected', reason: messages[0] ?? 'SIFEN rejected the document', ...(field ? { field } : {}), messages };
  }

  function failedBy(document: OutgoingDocument, error: TargetError): DocumentOutcome {
    if (error.kind === 'rejected') {
      return { documentId: document.documentId, outcome: 'rejected', reason: error.message, ...(error.field ? { field: error.field } : {}), ...(error.messages.length ? { messages: error.messages } : {}) };
    }
    return {
      documentId: document.documentId,
      outcome: 'failed',
      kind: error.kind,
      reason: error.message,
      ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}),
    };
  }

  /** FacturApi's record of a CDC → Puente's outcome; null when it has none. */
  function outcomeOfEstado(document: OutgoingDocument, cdc: string, estado: DeEstado | undefined): DocumentOutcome | null {
    if (!estado || estado.estado === null) return null;
    const reasons = estado.gResProc ?? [];
    switch (estado.estado) {
      case DE_ESTADOS.approved:
      case DE_ESTADOS.approvedWithObservation:
        return issued(document, cdc, reasons);
      case DE_ESTADOS.cancelled:
        // It was issued; the cancellation is a later event of its own.
        return issued(document, cdc, reasons, ['cancelado por evento de cancelación']);
      case DE_ESTADOS.rejected:
        return rejected(document, reasons.length ? reasons : [{ dCodRes: estado.dCodRes, dMsgRes: estado.dMsgRes }]);
      case DE_ESTADOS.generated:
        return { documentId: document.documentId, outcome: 'pending', uuid: cdc };
      default:
        // A state this client does not know: do not guess; ask again later.
        logger?.warn({ documentId: document.documentId, estado: estado.estado }, 'facturapi: unknown DE state');
        return { documentId: document.documentId, outcome: 'pending', uuid: cdc };
    }
  }

  async function lookup(document: OutgoingDocument): Promise<DocumentOutcome | null> {
    const cdc = cdcOf(document);
    const [estado] = (await client.estadoDe([cdc])).filter((entry) => entry.cdc === cdc);
    return outcomeOfEstado(document, cdc, estado);
  }

  /** Refusals Puente can make without a request: the kind, the series, the number range. */
  function precheck(batch: OutgoingBatch, document: OutgoingDocument): DocumentOutcome | undefined {
    if (!isFacturapiKind(document.kind)) {
      return { documentId: document.documentId, outcome: 'rejected', reason: `FacturApi issues invoice, credit_note and debit_note, not ${document.kind}`, field: 'tipoDocumento' };
    }
    if (document.kind !== batch.kind) {
      return { documentId: document.documentId, outcome: 'rejected', reason: `a lote holds one document type: this ${document.kind} is in a ${batch.kind} lote`, field: 'tipoDocumento' };
    }
    let wire: FacturapiDe;
    try {
      wire = wireOf(document);
    } catch (error) {
      return failedBy(document, error as TargetError);
    }
    if (wire.tipoDocumento !== TIPO_DOCUMENTO[document.kind]) {
      return { documentId: document.documentId, outcome: 'rejected', reason: `tipoDocumento ${String(wire.tipoDocumento)} does not match ${document.kind} (${TIPO_DOCUMENTO[document.kind]})`, field: 'tipoDocumento' };
    }
    const issue = accountIssues(document.kind, wire)[0];
    if (issue) return { documentId: document.documentId, outcome: 'rejected', reason: issue.message, field: issue.path.join('.') };
    return undefined;
  }

  async function submit(batch: OutgoingBatch): Promise<BatchSubmission> {
    const outcomes = new Map<string, DocumentOutcome>();
    const sendable: { document: OutgoingDocument; wire: FacturapiDe; cdc: string }[] = [];
    for (const document of batch.documents) {
      const refused = precheck(batch, document);
      if (refused) {
        outcomes.set(document.documentId, refused);
        continue;
      }
      try {
        sendable.push({ document, wire: wireToSend(document), cdc: cdcOf(document) });
      } catch (error) {
        if (!(error instanceof TargetError)) throw error;
        outcomes.set(document.documentId, failedBy(document, error));
      }
    }
    if (sendable.length === 0) return { results: ordered(batch, outcomes) };

    let answer;
    try {
      answer = await client.createLote(sendable.map((s) => s.wire));
    } catch (error) {
      if (!(error instanceof TargetError)) throw error;
      logger?.warn({ batchId: batch.batchId, kind: error.kind }, 'facturapi: lote/create failed');
      if (error instanceof FacturapiLoteRefusedError && error.byIndex.size > 0) {
        // The named documents are at fault; the others were refused only as company and go again.
        sendable.forEach(({ document }, index) => {
          const messages = error.byIndex.get(index);
          if (messages) {
            const field = fieldOf(messages[0] ?? '');
            outcomes.set(document.documentId, { documentId: document.documentId, outcome: 'rejected', reason: messages[0] ?? error.message, ...(field ? { field } : {}), messages });
          } else {
            outcomes.set(document.documentId, { documentId: document.documentId, outcome: 'failed', kind: 'retryable', reason: 'not sent: FacturApi refused the lote because of another document in it' });
          }
        });
      } else {
        for (const { document } of sendable) outcomes.set(document.documentId, failedBy(document, error));
      }
      return { results: ordered(batch, outcomes) };
    }

    if (answer.dCodRes !== SIFEN.LOTE_RECIBIDO.code || !answer.dProtConsLote) {
      // 0301: SIFEN did not queue the lote; nothing awaits a verdict, so the same CDCs may go again.
      // 0270: the message was too large for SIFEN; a smaller batch is needed (batch.maxBytes).
      const reason = `SIFEN ${answer.dCodRes}: ${answer.dMsgRes}`;
      for (const { document } of sendable) {
        const outcome: DocumentOutcome =
          answer.dCodRes === SIFEN.MENSAJE_EXCEDE_TAMANO.code
            ? { documentId: document.documentId, outcome: 'rejected', reason: `${reason}; lower batch.maxBytes` }
            : answer.dCodRes === SIFEN.LOTE_NO_ENCOLADO.code
              ? { documentId: document.documentId, outcome: 'failed', kind: 'retryable', reason }
              : { documentId: document.documentId, outcome: 'failed', kind: 'unknown_outcome', reason };
        outcomes.set(document.documentId, outcome);
      }
      return { results: ordered(batch, outcomes) };
    }

    const receipt: FacturapiReceipt = { loteId: answer.dProtConsLote, sentAt: now().toISOString(), tipoDocumento: TIPO_DOCUMENTO[batch.kind as FacturapiDocumentKind], documents: {} };
    sendable.forEach(({ document, cdc }, index) => {
      const theirs = answer.deList[index]?.cdc;
      if (theirs && theirs !== cdc) {
        // Lookups after a crash use our CDC; a mismatch means ruc, tipoContribuyente or the clock disagree with FacturApi.
        logger?.warn({ batchId: batch.batchId, documentId: document.documentId }, 'facturapi: FacturApi computed another CDC; check ruc and tipoContribuyente');
      }
      const key = theirs ?? cdc;
      receipt.documents[document.documentId] = { cdc: key };
      outcomes.set(document.documentId, { documentId: document.documentId, outcome: 'pending', uuid: key });
    });
    logger?.debug({ batchId: batch.batchId, loteId: receipt.loteId, documents: sendable.length }, 'facturapi: lote sent');
    return { results: ordered(batch, outcomes), receipt: receipt as unknown as Record<string, unknown> };
  }

  async function status(receiptInput: Record<string, unknown>, batch: OutgoingBatch): Promise<BatchStatus> {
    const receipt = readReceipt(receiptInput);
    const sent = batch.documents.filter((d) => receipt.documents[d.documentId]);
    const tooOld = now().getTime() - Date.parse(receipt.sentAt) >= LOTE_QUERY_WINDOW_MS;
    if (tooOld) return byCdc(receipt, sent);

    const answer = await client.consultaLote(receipt.loteId);
    switch (answer.dCodResLot) {
      case SIFEN.LOTE_EN_PROCESAMIENTO.code:
        return { done: false, results: sent.map((d) => ({ documentId: d.documentId, outcome: 'pending', uuid: receipt.documents[d.documentId]!.cdc })) };
      case SIFEN.LOTE_CONCLUIDO.code: {
        const byId = new Map((answer.gResProcLote ?? []).map((r) => [r.id, r]));
        const results: DocumentOutcome[] = [];
        for (const document of sent) {
          const cdc = receipt.documents[document.documentId]!.cdc;
          const result = byId.get(cdc);
          // Not in a concluded lote: left out, so the dispatcher looks it up before any resend.
          if (result) results.push(await outcomeOfLoteResult(document, cdc, result));
        }
        return { done: true, results };
      }
      case SIFEN.LOTE_EXTEMPORANEO.code:
      case SIFEN.LOTE_INEXISTENTE.code:
        // Past 48 h (or a lote SIFEN no longer knows): each CDC is still answerable on its own.
        return byCdc(receipt, sent);
      default:
        throw new TargetError('retryable', `FacturApi answered consulta-lote with ${answer.dCodResLot}: ${answer.dMsgResLot}`);
    }
  }

  async function outcomeOfLoteResult(document: OutgoingDocument, cdc: string, result: LoteDocumentResult): Promise<DocumentOutcome> {
    if (isApproved(result.dEstRes)) return issued(document, cdc, result.gResProc);
    if (result.gResProc.some((r) => r.dCodRes === SIFEN.CDC_DUPLICADO.code)) {
      // The CDC was approved before: typically our own earlier lote whose answer was lost.
      const [estado] = await client.estadoDe([cdc]);
      const found = outcomeOfEstado(document, cdc, estado);
      if (found?.outcome === 'issued') return found;
    }
    return rejected(document, result.gResProc);
  }

  async function byCdc(receipt: FacturapiReceipt, sent: OutgoingDocument[]): Promise<BatchStatus> {
    if (sent.length === 0) return { done: true, results: [] };
    const cdcs = sent.map((d) => receipt.documents[d.documentId]!.cdc);
    const estados = new Map((await client.estadoDe(cdcs)).map((e) => [e.cdc, e]));
    const results: DocumentOutcome[] = [];
    for (const document of sent) {
      const cdc = receipt.documents[document.documentId]!.cdc;
      const outcome = outcomeOfEstado(document, cdc, estados.get(cdc));
      if (outcome) results.push(outcome);
    }
    return { done: results.every((r) => r.outcome !== 'pending'), results };
  }

  async function cancel(request: CancelRequest): Promise<EventoResult> {
    if (!MOTIVO.test(request.motivo?.trim() ?? '')) throw new TargetError('rejected', 'motivo must be 5 to 500 characters: SIFEN records why the document is cancelled', { field: 'motivo' });
    const cdc = request.cdc ?? (request.document ? cdcOf(request.document) : undefined);
    if (!cdc) throw new TargetError('rejected', 'cancel needs the CDC of the document, or the document itself', { field: 'cdc' });
    return client.cancelar(cdc, request.motivo.trim());
  }

  async function voidNumbers(request: VoidNumbersRequest): Promise<EventoResult> {
    const numbering = series[request.kind];
    if (!numbering) throw new TargetError('rejected', `FacturApi numbers invoice, credit_note and debit_note, not ${String(request.kind)}`, { field: 'kind' });
    const [establecimiento, punto] = (request.series ?? numbering.series).split('-');
    if (!/^\d{3}$/.test(establecimiento ?? '') || !/^\d{3}$/.test(punto ?? '')) throw new TargetError('rejected', 'series must be establecimiento-punto, e.g. 001-001', { field: 'series' });
    if (!(Number.isInteger(request.desde) && Number.isInteger(request.hasta) && request.desde >= 1 && request.hasta >= request.desde && request.hasta <= 9_999_999)) {
      throw new TargetError('rejected', 'desde and hasta must be whole numbers with 1 ≤ desde ≤ hasta ≤ 9999999', { field: 'desde' });
    }
    if (!MOTIVO.test(request.motivo?.trim() ?? '')) throw new TargetError('rejected', 'motivo must be 5 to 500 characters: SIFEN records why the numbers are not used', { field: 'motivo' });
    return client.inutilizar({
      tipoDocumento: TIPO_DOCUMENTO[request.kind],
      establecimiento: establecimiento!,
      punto: punto!,
      desde: request.desde,
      hasta: request.hasta,
      motivo: request.motivo.trim(),
    });
  }

  /** A voided document's number, inutilized at SIFEN. */
  async function closeNumbers(request: NumberClosureRequest): Promise<{ reference?: string; alreadyClosed?: boolean }> {
    if (!isFacturapiKind(request.kind)) throw new TargetError('rejected', `FacturApi numbers invoice, credit_note and debit_note, not ${request.kind}`, { field: 'kind' });
    try {
      const answer = await voidNumbers({ kind: request.kind, series: request.series, desde: request.from, hasta: request.to, motivo: request.reason });
      return { reference: answer.id };
    } catch (error) {
      // "El rango ya fue inutilizado, total o parcialmente": for a range of one number that number is
      // closed, and only Puente numbers the series, so an earlier attempt whose answer was lost went
      // through. A wider range may be only partly closed: that stays a refusal.
      const already = (text: string) => /ya fue inutilizado/i.test(text);
      if (error instanceof TargetError && error.kind === 'rejected' && request.from === request.to && (already(error.message) || error.messages.some(already))) {
        return { alreadyClosed: true };
      }
      throw error;
    }
  }

  return {
    name: 'facturapi',
    kinds: KINDS,
    numbering: 'client',
    batchLimits: { maxDocuments: config.batch.maxDocuments, maxBytes: config.batch.maxBytes, lingerMs: config.batch.lingerMs },
    numberingFor(kind: DocumentKind) {
      if (!isFacturapiKind(kind)) return undefined;
      const numbering = series[kind];
      return { series: numbering.series, firstNumber: numbering.firstNumber, lastNumber: numbering.lastNumber };
    },
    wireSchema(kind: DocumentKind): ZodType {
      if (!isFacturapiKind(kind)) throw new TargetError('rejected', `FacturApi has no ${kind} documents`);
      return schemas[kind];
    },
    client,
    config,
    cdcOf,
    wireToSend,
    submit,
    status,
    lookup,
    cancel,
    voidNumbers,
    closeNumbers,
    lookupRuc: (ruc, dv) => client.consultaRuc(ruc, dv),
    close: () => client.close(),
  };
}

function ordered(batch: OutgoingBatch, outcomes: Map<string, DocumentOutcome>): DocumentOutcome[] {
  return batch.documents.flatMap((d) => {
    const outcome = outcomes.get(d.documentId);
    return outcome ? [outcome] : [];
  });
}

function readReceipt(receipt: Record<string, unknown>): FacturapiReceipt {
  const { loteId, sentAt, documents } = receipt as Partial<FacturapiReceipt>;
  if (typeof loteId !== 'string' || !loteId || typeof sentAt !== 'string' || Number.isNaN(Date.parse(sentAt)) || typeof documents !== 'object' || documents === null) {
    throw new TargetError('rejected', 'not a FacturApi receipt: it needs loteId, sentAt and documents (as returned by submit)');
  }
  return receipt as unknown as FacturapiReceipt;
}
