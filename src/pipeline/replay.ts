/**
 * Replay: after an admin fixes what parked a document (a mapping, a lookup entry, a numbering range,
 * credentials), the document goes back to `pending` and the pipeline prepares it again.
 *
 * A replay keeps the document's id, idempotency key and any number it already has (allocateNumber is
 * idempotent per document), and it keeps `uncertain`, so a document whose last send had an unknown
 * outcome is still looked up before it is sent. A replay therefore never makes a second document for
 * the same legal key. Only parked documents can be replayed; anything issued, on its way or queued is
 * refused with the reason, and so is a voided document (void.ts): it was set aside for good.
 */
import type { Logger } from '../log.js';
import { DocumentStatusChangedError, type DocumentRecord, type EventRecord, type EventStatus, type Store } from '../store/store.js';

/** The attention kinds the pipeline parks documents with. */
export const ATTENTION_KINDS = ['mapping', 'domain', 'config', 'numbering', 'rejected', 'auth', 'internal', 'voided_invoice'] as const;

/** Event statuses a replay re-evaluates: the ledger looks at the event again as if it had just arrived. */
const REEVALUATED_EVENT_STATUSES: readonly EventStatus[] = ['waiting', 'ignored', 'needs_attention'];

export class ReplayNotFoundError extends Error {
  readonly status = 404;
  constructor(what: 'document' | 'event', id: string) {
    super(`no ${what} ${id}`);
    this.name = 'ReplayNotFoundError';
  }
}

/** The record is in a state a replay must not touch. */
export class ReplayRefusedError extends Error {
  readonly status = 409;
  constructor(message: string) {
    super(message);
    this.name = 'ReplayRefusedError';
  }
}

export interface ReplayedDocument {
  documentId: string;
  kind: DocumentRecord['kind'];
  /** What had parked it. */
  attention: { kind: string; reason: string; path?: string } | undefined;
  /** Kept across the replay; undefined when it had none yet. */
  number: string | undefined;
  status: 'pending';
}

export interface EventReplay {
  eventId: string;
  /** The event's status before, and after when it was re-evaluated. */
  event: { before: EventStatus; after: EventStatus };
  documents: ReplayedDocument[];
}

export interface ReplayFilter {
  /** Only documents parked for this reason (attention.kind). */
  kind?: string;
  connectionId?: string;
  limit?: number;
}

function refusal(document: DocumentRecord): string {
  const id = document.id;
  switch (document.status) {
    case 'issued':
      return `document ${id} is already issued${document.result?.fiscalNumber ? ` as ${document.result.fiscalNumber}` : ''}; replaying it could issue a second document for the same legal key — correct it with a credit or debit note instead`;
    case 'in_flight':
      return `document ${id} is being sent to the invoicing API; wait for its verdict — replay only applies to documents that need attention`;
    case 'pending':
    case 'ready':
      return `document ${id} is already queued (${document.status}); it goes out without a replay`;
    case 'skipped':
      if (document.voided) {
        return `document ${id} was voided at ${document.voided.at} (${document.voided.reason}); a voided document is never sent, and its number ${document.number ?? '(none)'} is never reused — its number closure is ${document.voided.numberClosure.state}`;
      }
      return `document ${id} was skipped on purpose${document.attention ? ` (${document.attention.reason})` : ''}; there is nothing to replay`;
    default:
      return `document ${id} is ${document.status}; only documents that need attention can be replayed`;
  }
}

export class Replayer {
  constructor(
    private readonly store: Store,
    private readonly log: Logger,
    /** Tells the engine there is work (a poke). */
    private readonly onReplayed: () => void = () => undefined,
  ) {}

  /** Sends one parked document back to `pending`. Throws ReplayNotFoundError / ReplayRefusedError. */
  async replayDocument(id: string): Promise<ReplayedDocument> {
    const document = await this.store.getDocument(id);
    if (!document) throw new ReplayNotFoundError('document', id);
    if (document.status !== 'needs_attention') throw new ReplayRefusedError(refusal(document));
    const replayed = await this.requeue(document);
    if (!replayed) {
      const now = await this.store.getDocument(id);
      throw new ReplayRefusedError(now ? refusal(now) : `document ${id} changed meanwhile`);
    }
    this.onReplayed();
    return replayed;
  }

  /**
   * Replays every parked document of an event; an event the ledger set aside (waiting, ignored) is
   * looked at again. Refused when the event has nothing to replay.
   */
  async replayEvent(id: string): Promise<EventReplay> {
    const event = await this.store.getEvent(id);
    if (!event) throw new ReplayNotFoundError('event', id);
    const documents: ReplayedDocument[] = [];
    for (const documentId of event.documentIds) {
      const document = await this.store.getDocument(documentId);
      const replayed = document?.status === 'needs_attention' ? await this.requeue(document) : undefined;
      if (replayed) documents.push(replayed);
    }
    let after = event.status;
    if (REEVALUATED_EVENT_STATUSES.includes(event.status)) {
      await this.store.updateEvent(event.id, { status: 'received', note: undefined, attention: undefined });
      after = 'received';
      this.log.info({ eventId: event.id, before: event.status }, 'event replayed: the ledger looks at it again');
    }
    if (documents.length === 0 && after === event.status) throw new ReplayRefusedError(await this.nothingToReplay(event));
    this.onReplayed();
    return { eventId: event.id, event: { before: event.status, after }, documents };
  }

  /** Replays every parked document matching the filter (oldest first). */
  async replayParked(filter: ReplayFilter = {}): Promise<ReplayedDocument[]> {
    const parked = await this.store.listDocuments({
      status: 'needs_attention',
      ...(filter.connectionId ? { connectionId: filter.connectionId } : {}),
      limit: filter.limit ?? 1000,
    });
    const chosen = parked.filter((d) => filter.kind === undefined || d.attention?.kind === filter.kind).reverse();
    const replayed: ReplayedDocument[] = [];
    for (const document of chosen) {
      const requeued = await this.requeue(document);
      if (requeued) replayed.push(requeued);
    }
    if (replayed.length > 0) this.onReplayed();
    return replayed;
  }

  /** Undefined when the document no longer needs attention (voided or replayed since it was read). */
  private async requeue(document: DocumentRecord): Promise<ReplayedDocument | undefined> {
    // Number, idempotency key, uncertain and the reference stay: they are what keep a replay from issuing twice.
    try {
      await this.store.updateDocument(
        document.id,
        { status: 'pending', attention: undefined, notBefore: undefined, batchId: undefined },
        { ifStatus: 'needs_attention' },
      );
    } catch (error) {
      if (error instanceof DocumentStatusChangedError) return undefined;
      throw error;
    }
    this.log.info({ documentId: document.id, kind: document.kind, attention: document.attention?.kind, number: document.number }, 'document replayed');
    return {
      documentId: document.id,
      kind: document.kind,
      attention: document.attention,
      number: document.number,
      status: 'pending',
    };
  }

  private async nothingToReplay(event: EventRecord): Promise<string> {
    if (event.documentIds.length === 0) {
      return `event ${event.id} is ${event.status} and has no documents; only events that are waiting, ignored or need attention, or that have documents needing attention, can be replayed`;
    }
    const statuses = await Promise.all(event.documentIds.map(async (id) => `${id} ${(await this.store.getDocument(id))?.status ?? 'missing'}`));
    return `event ${event.id} has no document that needs attention (${statuses.join(', ')}); nothing to replay`;
  }
}
