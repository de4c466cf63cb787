/**
 * The inbox: every verified delivery is stored (deduplicated by its delivery id) before the source
 * hears 2xx. An event whose source has no connection yet is kept as `unroutable`, so nothing that
 * arrived before setup is lost.
 */
import type { SourceEvent } from '../connector.js';
import type { Logger } from '../log.js';
import type { NewEvent, RecordedEvent, Store } from '../store/store.js';
import type { Connections } from './connections.js';

export type AcceptedEvent = RecordedEvent;

export class Inbox {
  constructor(
    private readonly store: Store,
    private readonly connections: Connections,
    private readonly log: Logger,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async accept(events: SourceEvent[]): Promise<AcceptedEvent[]> {
    const receivedAt = this.clock().toISOString();
    const accepted = await Promise.all(
      events.map(async (event) => {
        const connection = this.connections.forSource(event.source);
        const record: NewEvent = {
          dedupeKey: `${event.source}|${event.deliveryId}`,
          source: event.source,
          connectionId: connection?.id ?? null,
          kind: event.kind,
          topic: event.topic,
          orderId: event.orderId,
          ...(event.refundId ? { refundId: event.refundId } : {}),
          ...(event.editId ? { editId: event.editId } : {}),
          ...(event.orderTotal ? { orderTotal: event.orderTotal } : {}),
          ...(event.refundAmount !== undefined ? { refundAmount: event.refundAmount } : {}),
          ...(event.occurredAt ? { occurredAt: event.occurredAt } : {}),
          ...(event.test ? { test: true } : {}),
          ...(event.draft ? { draft: true } : {}),
          ...(event.decidedDocument ? { decidedDocument: event.decidedDocument } : {}),
          ...(event.needsCompletion ? { needsCompletion: true } : {}),
          receivedAt,
          // With its text at hand the payload is not read here: a source may parse it only when read.
          payload: event.payloadText === undefined ? event.payload : undefined,
          status: connection ? 'received' : 'unroutable',
        };
        // A source parses its payload for this delivery alone, and nothing touches it after the inbox.
        const result = await this.store.recordEvent(record, {
          handOver: true,
          ...(event.payloadText !== undefined ? { payloadText: event.payloadText } : {}),
        });
        this.log.info(
          {
            eventId: result.id,
            source: event.source,
            kind: event.kind,
            orderId: event.orderId,
            duplicate: result.duplicate,
            status: result.status,
          },
          result.duplicate ? 'event duplicate delivery' : 'event stored',
        );
        return result;
      }),
    );
    return accepted;
  }
}
