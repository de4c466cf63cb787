/**
 * Reads stored events in arrival order and, through the ledger, creates the documents they call for.
 * Creating a document is idempotent on its legal key, so a duplicate delivery or a replay can never
 * make a second one.
 */
import type { Logger } from '../log.js';
import type { EventRecord, Store } from '../store/store.js';
import type { Connections } from './connections.js';
import { subjectIdOf } from './keys.js';
import { decide } from './ledger.js';

export class EventProcessor {
  constructor(
    private readonly store: Store,
    private readonly connections: Connections,
    private readonly log: Logger,
  ) {}

  /** Processes new events, then looks again at those waiting for something. Returns how many changed. */
  async processPending(): Promise<number> {
    const fresh = await this.store.listEvents({ status: 'received', limit: 1000 });
    const waiting = await this.store.listEvents({ status: 'waiting', limit: 1000 });
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
    const orderDocuments = (await this.store.listDocuments({ orderId: event.orderId, limit: 1000 })).filter(
      (d) => d.source === event.source && d.status !== 'skipped',
    );
    const decision = decide(event, orderDocuments, { trigger: connection.settings.trigger, issueFor: connection.settings.issueFor });
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
    for (const planned of decision.documents) {
      const subjectId = subjectIdOf(planned.subject);
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
}
