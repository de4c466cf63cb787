/**
 * Reads stored events in arrival order and, through the ledger, creates the documents they call for.
 * Creating a document is idempotent on its legal key, so a duplicate delivery or a replay can never
 * make a second one.
 */
import type { SourceConnector } from '../connector.js';
import { TargetError } from '../errors.js';
import type { Logger } from '../log.js';
import type { EventRecord, Store } from '../store/store.js';
import type { Connections } from './connections.js';
import { subjectIdOf } from './keys.js';
import { decide } from './ledger.js';

/**
 * A change to an order that was not invoiced yet waits for the invoice (deliveries come in any
 * order), but not forever: most orders that are changed and never paid are abandoned.
 */
const RAISE_WAIT_DAYS = 7;

/** How long to wait before asking an unreachable source again for what a delivery lacked. */
const COMPLETION_RETRY_MS = 30_000;

export class EventProcessor {
  /** Events whose completion failed, by id → when to try again (in memory: a restart simply retries). */
  private readonly completionRetryAt = new Map<string, number>();

  constructor(
    private readonly store: Store,
    private readonly connections: Connections,
    private readonly log: Logger,
    /** Source connectors by type, for events that need completing (`SourceConnector.complete`). */
    private readonly sources: Record<string, SourceConnector> = {},
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** Processes new events, then looks again at those waiting for something. Returns how many changed. */
  async processPending(): Promise<number> {
    const fresh = await this.store.listEvents({ status: 'received', order: 'oldest', limit: 1000 });
    const waiting = await this.store.listEvents({ status: 'waiting', order: 'oldest', limit: 1000 });
    const byArrival = [...fresh, ...waiting].sort((a, b) => a.receivedAt.localeCompare(b.receivedAt) || a.id.localeCompare(b.id));
    let changed = 0;
    for (const event of byArrival) if (await this.process(event)) changed++;
    return changed;
  }

  async process(event: EventRecord): Promise<boolean> {
    const connection = event.connectionId ? this.connections.get(event.connectionId) : undefined;
    if (!connection) {
      await this.store.updateEvent(event.id, { status: 'unroutable', note: 'no connection for this source' });
      return true;
    }
    if (event.needsCompletion) {
      const completed = await this.complete(event, connection.sourceSystem);
      if (!completed) return false;
      event = completed;
    }
    // A voided document stays visible: a voided invoice is still the order's invoice, so its notes are
    // made and parked with the reason instead of waiting for an invoice that will never come.
    const orderDocuments = (await this.store.listDocuments({ orderId: event.orderId, limit: 1000 })).filter(
      (d) => d.source === event.source && (d.status !== 'skipped' || d.voided !== undefined),
    );
    const decision = decide(event, orderDocuments, { trigger: connection.settings.trigger, issueFor: connection.settings.issueFor });
    if (decision.action === 'wait' && this.raiseWaitedTooLong(event)) {
      await this.store.updateEvent(event.id, { status: 'ignored', note: `the order was not invoiced within ${RAISE_WAIT_DAYS} days of this change` });
      this.log.info({ eventId: event.id, orderId: event.orderId }, 'event ignored: its order was never invoiced');
      return true;
    }
    if (decision.action === 'wait') {
      if (event.status === 'waiting') return false;
      await this.store.updateEvent(event.id, { status: 'waiting', note: decision.note });
      this.log.info({ eventId: event.id, orderId: event.orderId }, 'event waiting');
      return true;
    }
    if (decision.action === 'ignore') {
      await this.store.updateEvent(event.id, { status: 'ignored', note: decision.note });
      this.log.info({ eventId: event.id, kind: event.kind, note: decision.note }, 'event ignored');
      return true;
    }
    const documentIds: string[] = [];
    const delayMinutes = connection.settings.triggerDelayMinutes;
    for (const planned of decision.documents) {
      const subjectId = subjectIdOf(planned.subject);
      // The invoice waits out the configured delay, counted from when the trigger happened.
      const notBefore =
        delayMinutes > 0 && planned.subject.kind === 'invoice'
          ? new Date(Date.parse(event.occurredAt ?? event.receivedAt) + delayMinutes * 60_000).toISOString()
          : undefined;
      const { document, duplicate } = await this.store.createDocument({
        idempotencyKey: planned.idempotencyKey,
        connectionId: connection.id,
        target: connection.target.name,
        kind: planned.subject.kind,
        source: event.source,
        orderId: event.orderId,
        ...(subjectId ? { subjectId } : {}),
        eventId: event.id,
        series: connection.target.numberingFor?.(planned.subject.kind)?.series ?? '',
        ...(planned.referenceDocumentId ? { referenceDocumentId: planned.referenceDocumentId } : {}),
        ...(event.orderTotal && planned.subject.kind !== 'credit_note' ? { sourceTotal: event.orderTotal } : {}),
        ...(notBefore ? { notBefore } : {}),
      });
      documentIds.push(document.id);
      this.log.info(
        { eventId: event.id, documentId: document.id, kind: document.kind, duplicate },
        duplicate ? 'document already exists for this legal key' : 'document created',
      );
    }
    await this.store.updateEvent(event.id, { status: 'processed', documentIds, note: undefined });
    return true;
  }

  private raiseWaitedTooLong(event: EventRecord): boolean {
    const isChange = event.kind === 'order.updated' || event.kind === 'order.edited';
    return isChange && !event.decidedDocument && this.clock().getTime() - Date.parse(event.receivedAt) > RAISE_WAIT_DAYS * 24 * 60 * 60_000;
  }

  /**
   * Asks the source for what the delivery lacked and stores it in place of the payload. While the
   * source cannot be reached the event stays `received` and is tried again a little later.
   */
  private async complete(event: EventRecord, system: string): Promise<EventRecord | undefined> {
    const source = this.sources[system];
    if (!source?.complete) {
      return this.store.updateEvent(event.id, { needsCompletion: false, note: `${system} cannot complete deliveries; used as received` });
    }
    const retryAt = this.completionRetryAt.get(event.id);
    if (retryAt !== undefined && retryAt > this.clock().getTime()) return undefined;
    try {
      const payload = await source.complete(event);
      this.completionRetryAt.delete(event.id);
      this.log.info({ eventId: event.id, source: event.source }, 'event completed from the source');
      return await this.store.updateEvent(event.id, { payload, needsCompletion: false, note: undefined });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      if (error instanceof TargetError && (error.kind === 'rejected' || error.kind === 'auth')) {
        // Asking again will not help (the refund was deleted, the credentials were revoked): park it
        // where the admin views show it; a replay after the fix tries again.
        this.completionRetryAt.delete(event.id);
        await this.store.updateEvent(event.id, {
          status: 'needs_attention',
          attention: { kind: error.kind === 'auth' ? 'auth' : 'source', reason: `${system} could not complete this delivery: ${reason}` },
        });
        this.log.warn({ eventId: event.id, source: event.source, kind: error.kind }, 'event needs attention: the source refused to complete it');
        return undefined;
      }
      this.completionRetryAt.set(event.id, this.clock().getTime() + COMPLETION_RETRY_MS);
      if (event.note !== `waiting for ${system}: ${reason}`) {
        await this.store.updateEvent(event.id, { note: `waiting for ${system}: ${reason}` });
      }
      this.log.warn({ eventId: event.id, source: event.source, reason }, 'event completion failed; will retry');
      return undefined;
    }
  }
}
