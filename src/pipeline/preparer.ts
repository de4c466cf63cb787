/**
 * Turns a pending document into a ready one: mapping stage 1 (source event → FiscalDocumentDraft),
 * domain totals, numbering, mapping stage 2 (FiscalDocument → wire document), wire validation.
 *
 * A document that cannot be mapped or validated is parked as needs_attention with the field path and
 * the reason; it keeps any number it was given, so a replay after a fix reuses that number.
 */
import { ZodError } from 'zod';
import { creditForRemainder } from '../domain/annulment.js';
import { debitForIncrease } from '../domain/debit.js';
import {
  FiscalDocumentDraft,
  type DocumentKind,
  type DocumentReference,
  type FiscalDocument,
} from '../domain/fiscal-document.js';
import { normalizeIdentification } from '../domain/identifiers.js';
import { computeDocument } from '../domain/totals.js';
import { DomainError, MappingError } from '../errors.js';
import { formatZodPath } from '../config.js';
import type { Logger } from '../log.js';
import type { Attention, DocumentRecord, Store } from '../store/store.js';
import { isoInTimeZone } from '../time.js';
import type { Connection, Connections } from './connections.js';
import type { MappingCatalog, RunnableMapping } from './mapping-port.js';

export type PrepareOutcome = 'ready' | 'waiting' | 'needs_attention' | 'skipped';

/**
 * One counter per target account, document kind and series: DIAN resolutions and SIFEN's
 * establecimiento-punto both number each document type on its own.
 */
export function seriesKey(connection: Connection, kind: DocumentKind, series: string): string {
  return `${connection.target.name}:${connection.targetAccount}|${kind}|${series}`;
}

/** Reads the buyer's tax id out of an order payload by the connection's chain (connectors' SourceType.buyerTaxId). */
export type BuyerTaxIdReader = (system: string, order: unknown, connection: Connection) => string | undefined;

export class Preparer {
  constructor(
    private readonly store: Store,
    private readonly connections: Connections,
    private readonly mappings: () => MappingCatalog,
    private readonly log: Logger,
    private readonly clock: () => Date = () => new Date(),
    private readonly buyerTaxId: BuyerTaxIdReader = () => undefined,
  ) {}

  async prepare(document: DocumentRecord): Promise<PrepareOutcome> {
    const connection = this.connections.get(document.connectionId);
    if (!connection) {
      return this.park(document, { kind: 'config', reason: `connection ${document.connectionId} is no longer configured` });
    }
    // The trigger delay: the store's other apps may still be editing the order.
    if (document.status === 'pending' && document.notBefore && Date.parse(document.notBefore) > this.clock().getTime()) return 'waiting';
    let reference: DocumentRecord | undefined;
    if (document.referenceDocumentId) {
      reference = await this.store.getDocument(document.referenceDocumentId);
      // A voided invoice will never be issued: waiting for it would be forever.
      if (reference?.voided) {
        return this.park(document, {
          kind: 'voided_invoice',
          reason: `the invoice it corrects, ${reference.id}, was voided: Puente will never issue it, so it cannot issue this note either. Issue the note by hand where the order was invoiced, then void this one`,
        });
      }
      // A note can only cite an invoice the target has accepted (its number and CUFE/CDC are final).
      if (!reference || reference.status !== 'issued' || !reference.fiscal) return 'waiting';
    }
    const used: RunnableMapping[] = [];
    // One set for the whole document: a hot reload meanwhile must not map stage 1 and stage 2 with two sets.
    const catalog = this.mappings();
    try {
      const fiscal = await this.buildFiscalDocument(document, connection, reference, used, catalog);
      if (fiscal === 'wait_for_notes') return 'waiting';
      if (fiscal === 'nothing_to_issue') {
        const reason =
          document.kind === 'debit_note'
            ? 'nothing to charge: the order holds nothing beyond what the invoice and earlier debit notes charged'
            : 'nothing left to credit: earlier credit notes already cover the whole invoice';
        await this.store.updateDocument(document.id, { status: 'skipped', attention: { kind: 'skipped', reason } });
        this.log.info({ documentId: document.id, kind: document.kind }, 'document skipped: nothing to issue');
        return 'skipped';
      }
      const numbering = connection.target.numberingFor?.(document.kind);
      if (connection.target.numbering === 'client' && !numbering) {
        return this.park(document, {
          kind: 'config',
          reason: `target ${connection.targetAccount} has no numbering range (resolution) for ${document.kind}; add one to its configuration`,
        });
      }
      if (numbering) {
        const number = await this.store.allocateNumber(seriesKey(connection, document.kind, numbering.series), document.id, numbering.firstNumber);
        if (numbering.lastNumber !== undefined && number > numbering.lastNumber) {
          return this.park(document, {
            kind: 'numbering',
            reason: `number ${number} is past the end (${numbering.lastNumber}) of the authorized range for series ${numbering.series}; authorize a new range`,
          });
        }
        fiscal.series = numbering.series;
        fiscal.number = String(number);
      }
      const wireMapping = this.mappingFor(catalog, connection, document, 'target');
      used.push(wireMapping);
      const wire = await wireMapping.run({ document: fiscal, target: connection.settings.targetSettings });
      const checked = connection.target.wireSchema(document.kind).safeParse(wire);
      if (!checked.success) {
        const issue = checked.error.issues[0]!;
        const where = formatZodPath(issue.path);
        // Targets may phrase messages with their API's own placeholder for the field (Laravel's :attribute).
        const message = issue.message.replaceAll(':attribute', where || 'the document');
        throw new MappingError(where, `the ${connection.target.name} document is not valid: ${message} (mapping ${wireMapping.id})`);
      }
      await this.store.updateDocument(document.id, {
        status: 'ready',
        fiscal,
        wire: checked.data,
        attention: undefined,
        series: fiscal.series ?? document.series,
        provenance: { mappings: used.map(({ id, revision, contentHash }) => ({ id, revision, contentHash })) },
      });
      this.log.info({ documentId: document.id, kind: document.kind, number: fiscal.number, series: fiscal.series }, 'document ready');
      return 'ready';
    } catch (error) {
      return this.park(document, attentionFor(error));
    }
  }

  private async buildFiscalDocument(
    document: DocumentRecord,
    connection: Connection,
    reference: DocumentRecord | undefined,
    used: RunnableMapping[],
    catalog: MappingCatalog,
  ): Promise<FiscalDocument | 'nothing_to_issue' | 'wait_for_notes'> {
    const issuedAt = isoInTimeZone(this.clock(), connection.settings.timezone);
    let draftInput: unknown;
    if (document.subjectId === 'annulment' && reference?.fiscal) {
      const credited = await this.earlierNotes(document, reference);
      if (credited === 'wait') return 'wait_for_notes';
      const remainder = creditForRemainder(reference.fiscal, credited, {
        issuedAt,
        description: 'Anulación: pedido cancelado',
      });
      if (remainder.lines.length === 0) return 'nothing_to_issue';
      draftInput = remainder;
    } else if (document.kind === 'debit_note' && reference?.fiscal && !(await this.decidedBySource(document))) {
      const billed = await this.earlierNotes(document, reference);
      if (billed === 'wait') return 'wait_for_notes';
      const event = await this.store.getEvent(document.eventId);
      if (!event) throw new MappingError('', `event ${document.eventId} is missing from the store`);
      // The order as it is now, through the same mapping that made the invoice, so lines compare.
      const mapping = this.mappingFor(catalog, connection, { ...document, kind: 'invoice' }, 'source', 'order.paid');
      used.push(mapping);
      const now = await mapping.run({ ...this.orderInput(connection, event.payload), issuedAt, shop: shopOf(connection), country: connection.settings.country });
      const current = computeDocument(FiscalDocumentDraft.parse(this.withIdentification(now, connection)));
      const increase = debitForIncrease([reference.fiscal, ...billed], current, { issuedAt, description: 'Aumento del valor del pedido' });
      if (increase.lines.length === 0) return 'nothing_to_issue';
      draftInput = increase;
    } else {
      const event = await this.store.getEvent(document.eventId);
      if (!event) throw new MappingError('', `event ${document.eventId} is missing from the store`);
      const mapping = this.mappingFor(catalog, connection, document, 'source', event.kind);
      used.push(mapping);
      draftInput = await mapping.run(await this.stageOneInput(document, event.payload, reference, issuedAt, connection));
    }
    const draft = FiscalDocumentDraft.parse(this.withIdentification(draftInput, connection));
    if (reference?.fiscal) draft.reference = referenceTo(reference);
    return computeDocument(draft);
  }

  /** The buyer's id as the store gave it → a typed identification with a verified check digit. */
  private withIdentification(draftInput: unknown, connection: Connection): unknown {
    const draft = draftInput as { buyer?: { identification?: { type?: string; number?: string } } };
    const identification = draft?.buyer?.identification;
    if (!identification) return draftInput;
    try {
      const normalized = normalizeIdentification(
        connection.settings.country,
        String(identification.number ?? ''),
        identification.type as never,
      );
      return { ...draft, buyer: { ...draft.buyer, identification: normalized } };
    } catch (error) {
      if (!connection.settings.taxId.validateCheckDigit) return draftInput;
      throw error;
    }
  }

  private async stageOneInput(
    document: DocumentRecord,
    payload: unknown,
    reference: DocumentRecord | undefined,
    issuedAt: string,
    connection: Connection,
  ): Promise<unknown> {
    const shop = shopOf(connection);
    // `country` lets one mapping serve stores in several countries (tax codes per rate differ).
    const country = connection.settings.country;
    if (document.kind === 'invoice' || document.kind === 'export_invoice') {
      // With a trigger delay the invoice carries the order as it is when the delay ends.
      const order = connection.settings.triggerDelayMinutes > 0 ? await this.latestOrderPayload(document, payload) : payload;
      return { ...this.orderInput(connection, order), issuedAt, shop, country };
    }
    // Notes: the refund body lacks the buyer and the currency; take them from the invoiced order.
    const invoiceEvent = reference ? await this.store.getEvent(reference.eventId) : undefined;
    return { ...this.orderInput(connection, invoiceEvent?.payload), refund: payload, issuedAt, shop, country };
  }

  /** `order`, plus the buyer's tax id read by the connection's chain where the source type reads it. */
  private orderInput(connection: Connection, order: unknown): { order: unknown; buyerTaxId?: string } {
    const buyerTaxId = order === undefined ? undefined : this.buyerTaxId(connection.sourceSystem, order, connection);
    return buyerTaxId === undefined ? { order } : { order, buyerTaxId };
  }

  /** The newest order body stored for the document's order (a later orders/updated), else the trigger's. */
  private async latestOrderPayload(document: DocumentRecord, fallback: unknown): Promise<unknown> {
    const events = await this.store.listEvents({ orderId: document.orderId, limit: 1000 });
    const orderBodies = events.filter((e) => e.source === document.source && e.kind !== 'order.refunded' && !e.decidedDocument && !e.needsCompletion);
    const instant = (e: (typeof orderBodies)[number]) => Date.parse(e.occurredAt ?? e.receivedAt);
    const newest = orderBodies.sort((a, b) => instant(b) - instant(a))[0];
    return newest?.payload ?? fallback;
  }

  /** An ERP's posted debit move is the debit note itself: it is mapped, not derived from totals. */
  private async decidedBySource(document: DocumentRecord): Promise<boolean> {
    return (await this.store.getEvent(document.eventId))?.decidedDocument === 'debit_note';
  }

  /**
   * The notes of the same kind (credit or debit) a new one must not repeat: those the target
   * accepted. While another note for the same invoice is still on its way, the new one waits, so
   * what it credits or charges is final; a rejected note was never legally issued and counts for
   * nothing.
   */
  private async earlierNotes(document: DocumentRecord, invoice: DocumentRecord): Promise<FiscalDocument[] | 'wait'> {
    const notes = (await this.store.listDocuments({ orderId: document.orderId, kind: document.kind, limit: 1000 })).filter(
      (n) => n.id !== document.id && n.referenceDocumentId === invoice.id,
    );
    if (notes.some((n) => n.status === 'pending' || n.status === 'ready' || n.status === 'in_flight')) return 'wait';
    return notes.filter((n) => n.status === 'issued' && n.fiscal).map((n) => n.fiscal!);
  }

  private mappingFor(
    catalog: MappingCatalog,
    connection: Connection,
    document: DocumentRecord,
    stage: 'source' | 'target',
    eventKind?: Parameters<MappingCatalog['forSource']>[1],
  ): RunnableMapping {
    const override = connection.settings.mappings[
      (stage === 'target' ? `wire_${document.kind}` : document.kind) as keyof Connection['settings']['mappings']
    ];
    const mapping = override
      ? catalog.byId(override)
      : stage === 'source'
        ? catalog.forSource(connection.sourceSystem, eventKind!, document.kind)
        : catalog.forTarget(connection.target.name, document.kind);
    if (!mapping) {
      const wanted =
        stage === 'source'
          ? `${connection.sourceSystem} ${eventKind} → ${document.kind}`
          : `fiscal document → ${connection.target.name} ${document.kind}`;
      throw new MappingError('', `no mapping for ${wanted}${override ? ` (configured id "${override}" not found)` : ''}; add one under mappings/`);
    }
    return mapping;
  }

  private async park(document: DocumentRecord, attention: Attention): Promise<PrepareOutcome> {
    await this.store.updateDocument(document.id, { status: 'needs_attention', attention });
    this.log.warn({ documentId: document.id, kind: attention.kind, path: attention.path }, 'document needs attention');
    return 'needs_attention';
  }
}

function shopOf(connection: Connection): string {
  return connection.source.slice(connection.source.indexOf(':') + 1);
}

function referenceTo(invoice: DocumentRecord): DocumentReference {
  const fiscal = invoice.fiscal!;
  return {
    documentId: invoice.id,
    kind: invoice.kind,
    series: fiscal.series ?? invoice.series,
    // Server-numbered targets give the number only in their answer.
    number: fiscal.number ?? invoice.number ?? invoice.result?.fiscalNumber ?? '',
    issueDate: fiscal.issuedAt.slice(0, 10),
    ...(invoice.result?.uuid ? { uuid: invoice.result.uuid } : {}),
  };
}

function attentionFor(error: unknown): Attention {
  if (error instanceof MappingError) return { kind: 'mapping', reason: error.message, ...(error.path ? { path: error.path } : {}) };
  if (error instanceof DomainError) return { kind: 'domain', reason: error.message, ...(error.path ? { path: error.path } : {}) };
  if (error instanceof ZodError) {
    const issue = error.issues[0]!;
    const where = formatZodPath(issue.path);
    return { kind: 'mapping', reason: `${where}: ${issue.message} (the mapping produced an invalid FiscalDocument)`, path: where };
  }
  return { kind: 'internal', reason: (error as Error)?.message ?? String(error) };
}
