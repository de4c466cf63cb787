/**
 * Void: an operator decides that a parked document will never be issued (the order was invoiced by
 * hand elsewhere, a test order slipped through). The document ends `skipped` with `voided` saying
 * why and when; its number, if it has one, stays its own — never reused — and is closed at the target
 * where the authority allows it (number-closures.ts). Notes that correct a voided invoice are parked
 * by the preparer with the reason instead of waiting for it.
 *
 * Only a document that needs attention can be voided, and not one whose last send had an unknown
 * outcome: that one may exist at the target, and a replay looks it up first. Every refusal changes
 * nothing.
 */
import type { Logger } from '../log.js';
import { DocumentStatusChangedError, type DocumentRecord, type Store, type VoidRecord } from '../store/store.js';
import type { NumberClosures } from './number-closures.js';

/** SIFEN's rule for an event's motivo; the reason is also what an inutilización is sent with. */
export const VOID_REASON_MIN = 5;
export const VOID_REASON_MAX = 500;

export class VoidNotFoundError extends Error {
  readonly status = 404;
  constructor(id: string) {
    super(`no document ${id}`);
    this.name = 'VoidNotFoundError';
  }
}

/** The request itself is wrong (`field` names what). */
export class VoidInputError extends Error {
  readonly status = 400;
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'VoidInputError';
  }
}

/** The document is in a state a void must not touch. */
export class VoidRefusedError extends Error {
  readonly status = 409;
  constructor(message: string) {
    super(message);
    this.name = 'VoidRefusedError';
  }
}

export interface VoidedDocument {
  documentId: string;
  kind: DocumentRecord['kind'];
  series: string;
  number: string | undefined;
  status: 'skipped';
  voided: VoidRecord;
}

function refusal(document: DocumentRecord): string | undefined {
  const id = document.id;
  switch (document.status) {
    case 'needs_attention':
      if (document.uncertain) {
        return `document ${id}'s last send had an unknown outcome: it may exist at the invoicing API. Replay it first (POST /api/documents/${id}/replay) so Puente looks it up; void it only if it then needs attention again`;
      }
      return undefined;
    case 'issued':
      return `document ${id} is issued${document.result?.fiscalNumber ? ` as ${document.result.fiscalNumber}` : ''}: issued documents are annulled with a credit note, not voided`;
    case 'pending':
    case 'ready':
    case 'in_flight':
      return `document ${id} is still being worked (${document.status}); only a document that needs attention can be voided — wait for its verdict`;
    case 'skipped':
      return document.voided
        ? `document ${id} was already voided at ${document.voided.at}; its number closure is ${document.voided.numberClosure.state}`
        : `document ${id} was skipped on purpose${document.attention ? ` (${document.attention.reason})` : ''}; there is nothing to void`;
    default:
      return `document ${id} is ${String(document.status)}; only a document that needs attention can be voided`;
  }
}

export class Voider {
  constructor(
    private readonly store: Store,
    private readonly closures: NumberClosures,
    private readonly log: Logger,
    /** Tells the engine there is work: notes waiting for a voided invoice are parked at the next pass. */
    private readonly onVoided: () => void = () => undefined,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** Throws VoidInputError, VoidNotFoundError or VoidRefusedError, having changed nothing. */
  async voidDocument(id: string, reason: unknown): Promise<VoidedDocument> {
    const text = checkedReason(reason);
    const document = await this.store.getDocument(id);
    if (!document) throw new VoidNotFoundError(id);
    const refused = refusal(document);
    if (refused) throw new VoidRefusedError(refused);

    const numberClosure = this.closures.plan(document);
    const voided: VoidRecord = {
      reason: text,
      at: this.clock().toISOString(),
      ...(document.attention ? { parkedFor: document.attention } : {}),
      numberClosure,
    };
    // The decision is written first; the queue entry after it (a crash between is recovered at start).
    // Written only if the document still needs attention: a replay may have sent it back to the queue
    // since it was read, and a document on its way to the invoicing API must not be marked voided.
    let updated: DocumentRecord;
    try {
      updated = await this.store.updateDocument(
        id,
        { status: 'skipped', voided, attention: { kind: 'voided', reason: `voided by an operator: ${text}` }, notBefore: undefined },
        { ifStatus: 'needs_attention' },
      );
    } catch (error) {
      if (!(error instanceof DocumentStatusChangedError)) throw error;
      const now = await this.store.getDocument(id);
      throw new VoidRefusedError((now && refusal(now)) ?? error.message);
    }
    if (numberClosure.state === 'pending') {
      await this.closures.enqueue(updated, text);
      this.closures.poke();
    }
    // Ids only: the reason is the operator's text and may name the buyer.
    this.log.info(
      { documentId: id, kind: document.kind, orderId: document.orderId, series: document.series, number: document.number, numberClosure: numberClosure.state },
      'document voided',
    );
    this.onVoided();
    return { documentId: id, kind: document.kind, series: document.series, number: document.number, status: 'skipped', voided };
  }
}

function checkedReason(reason: unknown): string {
  if (typeof reason !== 'string') {
    throw new VoidInputError('reason', `is required: say in ${VOID_REASON_MIN} to ${VOID_REASON_MAX} characters why this document will never be issued, e.g. { "reason": "issued by hand as 001-001-0000042" }`);
  }
  const text = reason.trim();
  if (text.length < VOID_REASON_MIN || text.length > VOID_REASON_MAX) {
    throw new VoidInputError(
      'reason',
      `must be ${VOID_REASON_MIN} to ${VOID_REASON_MAX} characters (it has ${text.length}): SIFEN records it with the closed number`,
    );
  }
  return text;
}
